package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestReadSecrets(t *testing.T) { ruletest.Fixtures(t, "rbac/read-secrets") }
