package secrets

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCommittedSecretData(t *testing.T) { ruletest.Fixtures(t, "secret/committed-secret-data") }
