package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestHostNamespaces(t *testing.T) { ruletest.Fixtures(t, "pod/host-namespaces") }
