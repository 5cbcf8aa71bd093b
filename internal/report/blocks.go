package report

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// A findings format writes its findings in blocks: the findings (or the testcases, the
// resource groups) are cut into runs of a few hundred, each run's bytes are appended by
// an encoder, and the blocks are written in order. A large report's blocks are encoded
// on GOMAXPROCS goroutines at once while the caller's goroutine writes the finished ones;
// a small one's on the caller's goroutine alone, where goroutines would cost more than
// they save. Either way every block is encoded by the same code from the same state, so
// the document is the same bytes (TestParallelMatchesSequential).

// parallel says how a format spreads its blocks over goroutines. Its zero value is what
// the renderers use; tests set it to force one way or the other.
type parallel struct {
	// workers is the number of goroutines that encode blocks; 0 means GOMAXPROCS, at
	// most maxWorkers, and 1 encodes on the caller's goroutine.
	workers int
	// blockSize is the findings a block holds, or about that many when a block ends
	// only at a testcase or resource; 0 means defaultBlockSize.
	blockSize int
	// threshold is the fewest findings that are encoded on workers; 0 means
	// defaultThreshold.
	threshold int
}

const (
	// defaultBlockSize: a block of 256 findings is 50 KB (table) to 400 KB (SARIF) of
	// output, large enough that handing it between goroutines costs nothing measurable.
	defaultBlockSize = 256
	// maxWorkers: past a few goroutines encoding is limited by the one that writes and
	// by memory bandwidth, while the blocks in flight (two a worker) keep growing.
	maxWorkers = 8
	// defaultThreshold: below this many findings a report renders in a few
	// milliseconds, less than starting workers is worth.
	defaultThreshold = 2048
)

func (p parallel) withDefaults() parallel {
	if p.workers <= 0 {
		p.workers = min(runtime.GOMAXPROCS(0), maxWorkers)
	}
	if p.blockSize <= 0 {
		p.blockSize = defaultBlockSize
	}
	if p.threshold <= 0 {
		p.threshold = defaultThreshold
	}
	return p
}

// blockEncoder appends the bytes of block k to b. Each goroutine has an encoder of its
// own, so an encoder may keep scratch buffers and caches; it must not depend on which
// blocks it encoded before.
type blockEncoder func(b []byte, k int) []byte

// blockBounds cuts n units, weighing weight(i) findings each, into blocks of about
// size findings: block k is units [bounds[k], bounds[k+1]).
func blockBounds(n, size int, weight func(i int) int) []int {
	bounds := []int{0}
	w := 0
	for i := range n {
		w += weight(i)
		if w >= size && i+1 < n {
			bounds = append(bounds, i+1)
			w = 0
		}
	}
	if n > 0 {
		bounds = append(bounds, n)
	}
	return bounds
}

// blockUnit is a piece of a document that a block may start at, in a document made of
// groups of items (a suite's testcases, a report's results): item at of group, or the
// whole of a group without items (at -1).
type blockUnit struct {
	group, at int32
}

// groupUnits lists the units of groups groups, of which group g has items(g) items.
func groupUnits(groups int, items func(g int) int) []blockUnit {
	n := 0
	for g := range groups {
		n += max(items(g), 1)
	}
	units := make([]blockUnit, 0, n)
	for g := range groups {
		n := items(g)
		if n == 0 {
			units = append(units, blockUnit{int32(g), -1})
		}
		for at := range n {
			units = append(units, blockUnit{int32(g), int32(at)})
		}
	}
	return units
}

// evenBounds cuts n findings into blocks of size (the last shorter).
func evenBounds(n, size int) []int {
	return blockBounds(n, size, func(int) int { return 1 })
}

// writeBlocks writes blocks 0 to n-1 of a document of findings findings to w, in order,
// each encoded by an encoder that newEncoder makes. It returns the first write error;
// the encoders stop at it. Every goroutine it starts has ended when it returns, and a
// panic in an encoder is raised again on the caller's goroutine.
func (p parallel) writeBlocks(w io.Writer, n, findings int, newEncoder func() blockEncoder) error {
	p = p.withDefaults()
	if p.workers <= 1 || findings < p.threshold || n < 2 {
		return writeBlocksSequential(w, n, newEncoder())
	}
	return p.writeBlocksParallel(w, n, newEncoder)
}

func writeBlocksSequential(w io.Writer, n int, enc blockEncoder) error {
	var b []byte
	for k := range n {
		b = enc(b[:0], k)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// encoded is a block's bytes, or the panic of the encoder that made them.
type encoded struct {
	b     []byte
	panic *encoderPanic
}

// encoderPanic is a panic of an encoder on a worker, raised again on the caller's
// goroutine with the stack of the worker, where it happened.
type encoderPanic struct {
	value any
	stack []byte
}

func (p *encoderPanic) Error() string {
	return fmt.Sprintf("%v\n\nraised by a block encoder:\n%s", p.value, p.stack)
}

// Unwrap gives the panic's value when it is an error (a runtime.Error, say).
func (p *encoderPanic) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// writeBlocksParallel encodes blocks on p.workers goroutines, at most twice as many
// blocks in flight (encoding, or encoded and waiting for their turn) as there are
// workers, and writes them in order on the caller's goroutine. The buffers of written
// blocks are reused for blocks to come.
func (p parallel) writeBlocksParallel(w io.Writer, n int, newEncoder func() blockEncoder) error {
	workers := min(p.workers, n)
	encoders := make([]blockEncoder, workers) // made first, so that a panic in newEncoder leaves nothing running
	for i := range encoders {
		encoders[i] = newEncoder()
	}
	inFlight := 2 * workers
	// Block k goes to slot k%inFlight; a block is handed out only once the block
	// inFlight before it was written, so a slot never holds two and no send waits.
	slots := make([]chan encoded, inFlight)
	for i := range slots {
		slots[i] = make(chan encoded, 1)
	}
	tokens := make(chan struct{}, inFlight)
	free := make(chan []byte, inFlight)
	jobs := make(chan int)
	stop := make(chan struct{})

	var sizeHint atomic.Int64 // the largest block yet, for the capacity of new buffers

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // hands out blocks while there is room for them
		defer wg.Done()
		defer close(jobs)
		for k := range n {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case jobs <- k:
			case <-stop:
				return
			}
		}
	}()
	for _, enc := range encoders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			encodeJobs(enc, jobs, slots, free, &sizeHint)
		}()
	}

	var err error
	var panicked *encoderPanic
	for k := range n {
		e := <-slots[k%inFlight]
		if e.panic != nil {
			panicked = e.panic
			break
		}
		if _, err = w.Write(e.b); err != nil {
			break
		}
		select {
		case free <- e.b:
		default:
		}
		<-tokens
	}
	close(stop)
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	return err
}

// encodeJobs encodes the blocks of jobs into slots until jobs closes, and stops after a
// panic, which it hands on in the block's slot. A block goes into a written block's
// buffer when there is one, else into a new one as large as the largest block yet and a
// quarter, so that it seldom grows.
func encodeJobs(enc blockEncoder, jobs <-chan int, slots []chan encoded, free chan []byte, sizeHint *atomic.Int64) {
	for k := range jobs {
		var b []byte
		select {
		case b = <-free:
		default:
			b = make([]byte, 0, sizeHint.Load()*5/4)
		}
		e := encodeBlock(enc, b[:0], k)
		slots[k%len(slots)] <- e
		if e.panic != nil {
			return
		}
		if n := int64(len(e.b)); n > sizeHint.Load() {
			sizeHint.Store(n) // a race between workers may keep the smaller: it is a hint
		}
	}
}

// encodeBlock is enc(b, k), with a panic recovered into the result.
func encodeBlock(enc blockEncoder, b []byte, k int) (e encoded) {
	defer func() {
		if v := recover(); v != nil {
			e = encoded{panic: &encoderPanic{value: v, stack: debug.Stack()}}
		}
	}()
	return encoded{b: enc(b, k)}
}
