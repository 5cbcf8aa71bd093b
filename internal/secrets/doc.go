// Package secrets holds the rules on credentials in manifests: literal env values,
// ConfigMaps, committed Secret data, annotations.
package secrets
