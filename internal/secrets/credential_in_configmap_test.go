package secrets

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCredentialInConfigMap(t *testing.T) { ruletest.Fixtures(t, "secret/credential-in-configmap") }
