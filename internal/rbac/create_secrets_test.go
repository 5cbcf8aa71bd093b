package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCreateSecrets(t *testing.T) { ruletest.Fixtures(t, "rbac/create-secrets") }
