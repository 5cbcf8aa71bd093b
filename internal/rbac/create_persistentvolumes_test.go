package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCreatePersistentVolumes(t *testing.T) { ruletest.Fixtures(t, "rbac/create-persistentvolumes") }
