package exposure

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestNginxSnippetAnnotations(t *testing.T) {
	ruletest.Fixtures(t, "ingress/nginx-snippet-annotations")
}
