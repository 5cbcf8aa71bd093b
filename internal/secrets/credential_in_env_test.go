package secrets

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCredentialInEnv(t *testing.T) { ruletest.Fixtures(t, "secret/credential-in-env") }
