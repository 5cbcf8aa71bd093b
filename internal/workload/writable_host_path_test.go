package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestWritableHostPath(t *testing.T) { ruletest.Fixtures(t, "pod/writable-host-path") }
