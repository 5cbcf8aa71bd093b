// Command render prints the objects that `moat scan PATH...` reads from PATHs (files,
// directories, Helm charts, Kustomize overlays), one JSON object per line, each with its
// apiVersion and kind and, for namespaced objects written without one, the namespace
// "default" they land in.
//
// It exists for the end-to-end tests in test/kube/e2e: they apply its output to a real
// API server and compare a live scan with the scan of the same files, so the objects
// applied must be exactly the ones the file scan saw, charts and overlays rendered by
// Moat's own loader. It is not part of the moat command.
//
// -n sets the namespace of objects written without one and of Helm releases, and each
// --set key=value a chart value, as `moat scan` does.
//
//	go run ./tools/render examples/shop > /tmp/shop.jsonl
//	go run ./tools/render -n moat-system --set admission.enabled=true deploy/charts/moat
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/inventory"
)

func main() {
	namespace := flag.String("n", "", "namespace of objects written without one and of Helm releases")
	var set []string
	flag.Func("set", "a chart value, key=value (repeatable)", func(v string) error { set = append(set, v); return nil })
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: render [-n NAMESPACE] [--set KEY=VALUE]... PATH...")
		os.Exit(2)
	}
	inv := inventory.Load(flag.Args(), inventory.Options{Namespace: *namespace, HelmSet: set})
	for _, err := range inv.Errors {
		fmt.Fprintln(os.Stderr, "render:", err)
	}
	if len(inv.Errors) > 0 {
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	for _, o := range inv.Objects {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
		if err != nil {
			fmt.Fprintf(os.Stderr, "render: %s %s: %v\n", o.Kind(), o.Name(), err)
			os.Exit(1)
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetAPIVersion(o.GVK.GroupVersion().String())
		u.SetKind(o.GVK.Kind)
		if ns := o.EffectiveNamespace(); ns != "" {
			u.SetNamespace(ns)
		}
		if err := enc.Encode(u.Object); err != nil {
			fmt.Fprintln(os.Stderr, "render:", err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}
