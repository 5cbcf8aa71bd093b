package inventory

// setNamespace gives every namespaced object written without a namespace the namespace
// of -n, as `kubectl apply -n` and `helm template -n` place them.
func setNamespace(inv *Inventory, ns string) {
	// TODO(issue 12, item 4): being written.
}
