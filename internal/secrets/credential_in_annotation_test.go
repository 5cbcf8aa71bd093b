package secrets

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCredentialInAnnotation(t *testing.T) {
	ruletest.Fixtures(t, "secret/credential-in-annotation")
}
