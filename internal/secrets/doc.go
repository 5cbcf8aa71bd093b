// Package secrets holds the rules on credentials in manifests: literal environment
// values and arguments, ConfigMaps and the configuration files inside them, Secret
// manifests committed with their data, annotations, and Secrets passed as environment
// variables.
//
// The detector (detect.go, names.go, embedded.go) classifies untrusted text: tokens and
// keys by their format, random-looking strings by their entropy, and literal values by
// the name they are held under. It must never put a credential in a message: rules
// print only the kind (Match.Describe) and Match.Hint, which shows neither a character
// nor the length of the value, and TestMessagesNeverPrintSecrets holds every rule to it.
package secrets
