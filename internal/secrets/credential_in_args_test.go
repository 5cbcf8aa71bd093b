package secrets

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCredentialInArgs(t *testing.T) { ruletest.Fixtures(t, "secret/credential-in-args") }
