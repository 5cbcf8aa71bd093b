package cluster

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Bounds of KubeletConfigz: the kubelets answer through the API server's node proxy,
// one request each, a few at a time.
const (
	configzTimeout     = 10 * time.Second
	configzMaxBytes    = 1 << 20
	configzConcurrency = 4
	configzMaxNodes    = 5000
)

// KubeletConfigz reads each node's kubelet configuration from its /configz endpoint
// through the API server (GET nodes/NAME/proxy/configz). It needs the nodes/proxy
// permission, which is itself a finding of Moat's (it reaches every kubelet's API):
// callers ask for it explicitly. A node whose kubelet does not answer is a warning.
func KubeletConfigz(ctx context.Context, cfg *rest.Config) (map[string][]byte, []string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: configzMaxNodes})
	if err != nil {
		return nil, nil, fmt.Errorf("list nodes for /configz: %w", err)
	}
	var (
		mu       sync.Mutex
		out      = map[string][]byte{}
		warnings []string
		wg       sync.WaitGroup
		slots    = make(chan struct{}, configzConcurrency)
	)
	for _, n := range nodes.Items {
		name := n.Name
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			data, err := configz(ctx, cs, name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("node %s: kubelet /configz: %v", name, err))
				return
			}
			out[name] = data
		}()
	}
	wg.Wait()
	sort.Strings(warnings)
	return out, warnings, nil
}

func configz(ctx context.Context, cs kubernetes.Interface, node string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, configzTimeout)
	defer cancel()
	rc, err := cs.CoreV1().RESTClient().Get().Resource("nodes").Name(node).SubResource("proxy").Suffix("configz").Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, configzMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > configzMaxBytes {
		return nil, fmt.Errorf("answer larger than %d bytes", configzMaxBytes)
	}
	return data, nil
}
