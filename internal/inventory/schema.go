package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// validateSchemas checks values against the values.schema.json of the chart and of
// each dependency that has values, as Helm's util.ValidateAgainstSchema does, with
// one difference: what a $ref may load. Helm's loader reads file:// references from
// anywhere on disk (a file:///etc/passwd $ref is read) and fetches http(s) ones with
// a 15 s timeout each. Here a file reference is never read (a schema's relative
// $ref resolves against file:///values.schema.json, the root of the file system), an
// http(s) one only with AllowRemote, and then with a timeout and a size limit. A
// refused reference is a schemaRefError naming the chart, the URL and the option.
func validateSchemas(ch *chartv2.Chart, values any, allowRemote bool) error {
	vals := asMap(values)
	var sb strings.Builder
	if err := validateSchemasInto(&sb, ch, vals, allowRemote); err != nil {
		return err
	}
	if sb.Len() > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", sb.String())
	}
	return nil
}

func asMap(v any) map[string]any {
	switch t := v.(type) {
	case common.Values:
		return t
	case map[string]any:
		return t
	}
	return map[string]any{}
}

func validateSchemasInto(sb *strings.Builder, ch *chartv2.Chart, vals map[string]any, allowRemote bool) error {
	if ch.Schema != nil {
		err := validateSchema(vals, ch.Schema, allowRemote)
		var re *schemaRefError
		if errors.As(err, &re) {
			re.chart = ch.ChartFullPath()
			return re
		}
		if err != nil {
			fmt.Fprintf(sb, "%s:\n%s", ch.Name(), strings.TrimPrefix(err.Error(), "jsonschema validation failed with 'file:///values.schema.json#'\n")+"\n")
		}
	}
	for _, sub := range ch.Dependencies() {
		raw, ok := vals[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subVals, ok := raw.(map[string]any)
		if !ok {
			fmt.Fprintf(sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		if err := validateSchemasInto(sb, sub, subVals, allowRemote); err != nil {
			return err
		}
	}
	return nil
}

// schemaRefError is a $ref of a values.schema.json that is not loaded.
type schemaRefError struct {
	chart, url, why string
}

func (e *schemaRefError) Error() string {
	return fmt.Sprintf("values.schema.json of chart %q: $ref %q: %s", e.chart, e.url, e.why)
}

// schemaLoader loads the $refs of one schema by the rules of validateSchemas.
type schemaLoader struct {
	allowRemote bool
	refused     *schemaRefError
}

func (l *schemaLoader) Load(url string) (any, error) {
	switch {
	case strings.HasPrefix(url, "urn:"):
		// As Helm: an unresolved URN is a permissive schema.
		return jsonschema.UnmarshalJSON(strings.NewReader("true"))
	case strings.HasPrefix(url, "http://"), strings.HasPrefix(url, "https://"):
		if !l.allowRemote {
			l.refused = &schemaRefError{url: url, why: "not fetched: a static scan reads no network (--allow-remote fetches it)"}
			return nil, l.refused
		}
		return fetchSchema(url)
	}
	l.refused = &schemaRefError{url: url, why: "not read: a chart's schema may refer to other schemas by http(s) URL only, never to files on disk"}
	return nil, l.refused
}

// schemaFetchTimeout bounds each fetch of a remote $ref, as Helm's loader does.
const schemaFetchTimeout = 15 * time.Second

// maxSchemaBytes bounds the size of a fetched schema.
const maxSchemaBytes = 8 << 20

var schemaClient = &http.Client{
	Timeout:   schemaFetchTimeout,
	Transport: &http.Transport{Proxy: http.ProxyFromEnvironment},
}

func fetchSchema(url string) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), schemaFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, err
	}
	resp, err := schemaClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP request to %s returned status %d (%s)", url, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return jsonschema.UnmarshalJSON(io.LimitReader(resp.Body, maxSchemaBytes))
}

func validateSchema(values map[string]any, schemaJSON []byte, allowRemote bool) (reterr error) {
	defer func() {
		if r := recover(); r != nil {
			reterr = fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	schema, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schemaJSON)))
	if err != nil {
		return err
	}
	loader := &schemaLoader{allowRemote: allowRemote}
	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(loader)
	if err := compiler.AddResource("file:///values.schema.json", schema); err != nil {
		return err
	}
	validator, err := compiler.Compile("file:///values.schema.json")
	if loader.refused != nil {
		return loader.refused
	}
	if err != nil {
		return err
	}
	return validator.Validate(values)
}
