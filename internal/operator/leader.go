package operator

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Lease says which Lease elects the replica that writes, and how quickly a lost
// leader is replaced.
type Lease struct {
	Namespace, Name string
	// Identity names this replica in the Lease (the pod's name).
	Identity string
	// Duration is how long a leader's claim holds without renewal (default 15s);
	// RenewDeadline how long the leader tries to renew before it gives up (10s);
	// RetryPeriod how often candidates try (2s).
	Duration, RenewDeadline, RetryPeriod time.Duration
}

// ErrLostLease is returned when this replica stopped being the leader: its process
// should exit, so that it restarts as a candidate with nothing half-done.
var ErrLostLease = errors.New("lost the leader lease")

// RunElected runs lead while this replica holds the Lease. It returns nil when ctx
// ends, and ErrLostLease when the lease was lost; the lease is released on return so
// that a replica that shuts down hands over at once.
func RunElected(ctx context.Context, cs kubernetes.Interface, l Lease, log *slog.Logger, metrics *Metrics, lead func(ctx context.Context)) error {
	if l.Duration <= 0 {
		l.Duration = 15 * time.Second
	}
	if l.RenewDeadline <= 0 {
		l.RenewDeadline = 10 * time.Second
	}
	if l.RetryPeriod <= 0 {
		l.RetryPeriod = 2 * time.Second
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, l.Namespace, l.Name, nil, cs.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: l.Identity})
	if err != nil {
		return err
	}
	lost := false
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   l.Duration,
		RenewDeadline:   l.RenewDeadline,
		RetryPeriod:     l.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            l.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				log.Info("leading: writing the reports", "lease", l.Namespace+"/"+l.Name, "identity", l.Identity)
				metrics.SetLeader(true)
				lead(ctx)
			},
			OnStoppedLeading: func() {
				metrics.SetLeader(false)
				if ctx.Err() == nil {
					lost = true
				}
			},
			OnNewLeader: func(id string) {
				if id != l.Identity {
					log.Info("another replica leads", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return err
	}
	le.Run(ctx)
	if lost {
		return ErrLostLease
	}
	return nil
}
