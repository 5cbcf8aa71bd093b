package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestKubeSystemConfigmaps(t *testing.T) { ruletest.Fixtures(t, "rbac/kube-system-configmaps") }
