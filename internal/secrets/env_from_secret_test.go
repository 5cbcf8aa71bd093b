package secrets

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestEnvFromSecret(t *testing.T) { ruletest.Fixtures(t, "secret/env-from-secret") }
