package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestImageInvalidReference(t *testing.T) { ruletest.Fixtures(t, "image/invalid-reference") }
