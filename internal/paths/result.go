package paths

import (
	"context"

	"github.com/moat-dev/moat/internal/inventory"
)

// Result is what `moat paths` shows: the ranked paths, the choke points that cut them,
// the nodes they name, and what the graph assumed.
type Result struct {
	Paths       []Path
	ChokePoints []ChokePoint
	Assumptions []Assumption
	// Nodes are the graph's nodes by ID, for names and resources.
	Nodes map[string]*Node
	// Total is the number of paths found before MaxPaths cut the list.
	Total int
}

// Limits of an analysis.
type Limits struct {
	// MaxPaths bounds the paths listed (the worst first); 0 lists all.
	MaxPaths int
	// MaxChokePoints bounds the choke points chosen; 0 means 5.
	MaxChokePoints int
}

// Analyze builds the graph of inv and finds its paths and choke points. Choke points
// are chosen over every path found, not only those listed.
func Analyze(ctx context.Context, inv *inventory.Inventory, opt Options, lim Limits) (*Result, error) {
	g, err := Build(ctx, inv, opt)
	if err != nil {
		return nil, err
	}
	if lim.MaxChokePoints <= 0 {
		lim.MaxChokePoints = 5
	}
	ps := g.Paths(nil)
	r := &Result{Assumptions: g.Assumptions, Nodes: g.Nodes, Total: len(ps)}
	r.ChokePoints = g.ChokePoints(ps, lim.MaxChokePoints)
	if lim.MaxPaths > 0 && len(ps) > lim.MaxPaths {
		// Keep the cut indexes pointing into the listed paths only.
		for i := range r.ChokePoints {
			cuts := r.ChokePoints[i].Cuts[:0:0]
			for _, c := range r.ChokePoints[i].Cuts {
				if c < lim.MaxPaths {
					cuts = append(cuts, c)
				}
			}
			r.ChokePoints[i].Listed = len(cuts)
			r.ChokePoints[i].Total = len(r.ChokePoints[i].Cuts)
			r.ChokePoints[i].Cuts = cuts
		}
		ps = ps[:lim.MaxPaths]
	} else {
		for i := range r.ChokePoints {
			r.ChokePoints[i].Total = len(r.ChokePoints[i].Cuts)
			r.ChokePoints[i].Listed = len(r.ChokePoints[i].Cuts)
		}
	}
	r.Paths = ps
	return r, nil
}
