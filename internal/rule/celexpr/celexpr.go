// Package celexpr builds the CEL text that the rules' admission checks (rule.CEL) and
// their exporter share: quoted strings and lists, and the container lists of pod checks.
package celexpr

import (
	"fmt"
	"strings"
)

// escaper is built once: a Replacer builds its tables on first use (6 KB), and rules
// escape hundreds of strings while their packages initialise.
var escaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", " ")

// Escape makes s fit between the single quotes of a CEL string literal.
func Escape(s string) string { return escaper.Replace(s) }

// List is a CEL list of the strings ss: ['a', 'b'].
func List(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + Escape(s) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ContainersWhere is a CEL string, "containers" and their quoted names, of the
// containers of a pod check (variables.containers) for which cond over c holds.
func ContainersWhere(cond string) string {
	return "'containers ' + " + ContainerNames(cond)
}

// ContainerNames is a CEL string of the quoted names, comma-separated, of the containers
// of a pod check for which cond over c holds.
func ContainerNames(cond string) string {
	return fmt.Sprintf("variables.containers.filter(c, %s).map(c, '\"' + c.name + '\"').join(', ')", cond)
}
