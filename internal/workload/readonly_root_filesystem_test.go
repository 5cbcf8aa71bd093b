package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestReadOnlyRootFilesystem(t *testing.T) {
	ruletest.Fixtures(t, "pod/readonly-root-filesystem-missing")
}
