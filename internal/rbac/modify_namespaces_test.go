package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestModifyNamespaces(t *testing.T) { ruletest.Fixtures(t, "rbac/modify-namespaces") }
