package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestShareProcessNamespace(t *testing.T) { ruletest.Fixtures(t, "pod/share-process-namespace") }
