// Command floor times the least any scanner must do with a manifest stream: read the
// file and decode every document, with the fastest decoder at hand, and nothing else —
// no typed objects, no line index, no rules, no output. Moat's time is read as a
// multiple of it (see bench/README.md).
//
//	go run ./bench/floor FILE
//
// It reads the whole file, cuts it into documents at "---" lines, converts each with
// the fast YAML→JSON converter Moat's decoder uses (falling back to sigs.k8s.io/yaml
// as Moat does), and decodes the JSON into maps with json-iterator (faster than
// encoding/json here; -json std selects the standard library), one worker per CPU as
// Moat's decoder runs. It prints the wall time, the documents and the bytes.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/moat-dev/moat/internal/inventory"
)

func main() {
	decoder := flag.String("json", "jsoniter", "JSON decoder: jsoniter or std")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: floor [-json jsoniter|std] FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	var unmarshal func([]byte, any) error
	switch *decoder {
	case "jsoniter":
		unmarshal = jsoniter.ConfigCompatibleWithStandardLibrary.Unmarshal
	case "std":
		unmarshal = json.Unmarshal
	default:
		fmt.Fprintf(os.Stderr, "floor: unknown decoder %q\n", *decoder)
		os.Exit(2)
	}
	start := time.Now()
	docs, size, err := run(flag.Arg(0), unmarshal)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("floor wall_s=%.3f docs=%d bytes=%d decoder=%s\n", time.Since(start).Seconds(), docs, size, *decoder)
}

// run reads path and decodes each of its documents, in parallel.
func run(path string, unmarshal func([]byte, any) error) (docs, size int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	parts := split(data)
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(parts); i += workers {
				err := inventory.ConvertYAML(parts[i], func(js []byte) error {
					var v any
					return unmarshal(js, &v)
				})
				if err != nil && errs[w] == nil {
					errs[w] = fmt.Errorf("document %d: %w", i+1, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	return len(parts), len(data), nil
}

// split cuts a YAML stream at its "---" lines, leaving out blank documents.
func split(data []byte) [][]byte {
	var out [][]byte
	start := 0
	emit := func(end int) {
		if len(bytes.TrimSpace(data[start:end])) > 0 {
			out = append(out, data[start:end])
		}
	}
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += i + 1
		}
		line := data[i:end]
		if bytes.HasPrefix(line, []byte("---")) && len(bytes.TrimSpace(line[3:])) == 0 {
			emit(i)
			start = end
		}
		i = end
	}
	emit(len(data))
	return out
}
