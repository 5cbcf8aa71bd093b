package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// generator writes objects until its budget is spent. Every choice comes from rnd,
// so a seed fixes the whole stream.
type generator struct {
	w    io.Writer
	left int
	rnd  *rand.Rand
	err  error
	// seq numbers objects for their uid and resourceVersion.
	seq int
	// epoch is when the synthetic cluster was created; objects are created after it.
	epoch time.Time
	// nsSeen keeps namespace names unique.
	nsSeen map[string]bool
	// nodePorts keeps node ports unique, as the API server requires.
	nodePorts map[int32]bool
}

// nodePort picks a free port of the API server's default node-port range.
func (g *generator) nodePort() int32 {
	if g.nodePorts == nil {
		g.nodePorts = map[int32]bool{}
	}
	for {
		p := int32(g.between(30000, 32767))
		if !g.nodePorts[p] {
			g.nodePorts[p] = true
			return p
		}
	}
}

func newGenerator(w io.Writer, n int, seed uint64) *generator {
	return &generator{
		w:      w,
		left:   n,
		rnd:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		epoch:  time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC),
		nsSeen: map[string]bool{},
	}
}

// more reports whether the budget allows another object.
func (g *generator) more() bool { return g.left > 0 && g.err == nil }

// emit writes one object as a YAML document, with the server-set metadata a dump of
// a live cluster carries. Past the budget it does nothing.
func (g *generator) emit(obj runtime.Object) {
	if !g.more() {
		return
	}
	g.seq++
	m, err := meta.Accessor(obj)
	if err != nil {
		g.err = err
		return
	}
	m.SetUID(types.UID(g.uid()))
	m.SetResourceVersion(fmt.Sprint(1000 + g.seq*7))
	m.SetCreationTimestamp(metav1.NewTime(g.epoch.Add(time.Duration(g.seq)*37*time.Second + time.Duration(g.rnd.IntN(3600))*time.Second)))
	out, err := yaml.Marshal(obj)
	if err != nil {
		g.err = err
		return
	}
	if _, err := io.WriteString(g.w, "---\n"); err != nil {
		g.err = err
		return
	}
	if _, err := g.w.Write(out); err != nil {
		g.err = err
		return
	}
	g.left--
}

func (g *generator) run() {
	g.systemNamespaces()
	for i := 0; g.more(); i++ {
		g.appNamespace(i)
	}
}

// uid is a random RFC 4122 version 4 UUID.
func (g *generator) uid() string {
	a, b := g.rnd.Uint64(), g.rnd.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// chance is true with probability p.
func (g *generator) chance(p float64) bool { return g.rnd.Float64() < p }

// between is a uniform integer in [lo, hi].
func (g *generator) between(lo, hi int) int { return lo + g.rnd.IntN(hi-lo+1) }

func pick[T any](g *generator, xs []T) T { return xs[g.rnd.IntN(len(xs))] }

// hex is n random lowercase hex digits.
func (g *generator) hex(n int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(digits[g.rnd.IntN(16)])
	}
	return b.String()
}

// token is n random characters of the given alphabet.
func (g *generator) token(alphabet string, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[g.rnd.IntN(len(alphabet))])
	}
	return b.String()
}

const (
	alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)
