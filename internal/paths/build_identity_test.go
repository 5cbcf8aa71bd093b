package paths

import "testing"

func TestIdentityEdges(t *testing.T) {
	const api = "workload:shop/Deployment/api"
	admin := PowerID(PowerClusterAdmin)
	sa := func(name string) string { return ServiceAccountID("shop", name) }
	token := func(name string) layerEnds { return layerEnds{api, sa(name), EdgeServiceAccount} }
	rbacEdge := func(from, to string) layerEnds { return layerEnds{from, to, EdgeRBAC} }
	automountFix := "pod/service-account-token-automount Deployment/shop/api"
	runLayerCases(t, []layerCase{
		{name: "token of a cluster-admin service account", dir: "identity/cluster-admin",
			want: []layerWant{
				{layerEnds: token("api"), fixes: []string{automountFix}, rules: []string{"pod/service-account-token-automount"}},
				{layerEnds: rbacEdge(sa("api"), admin), fixes: []string{"rbac-binding api-admin"},
					rules: []string{"rbac/cluster-admin-equivalent"}, says: []string{"binding api-admin of ClusterRole/cluster-admin"}},
			}},
		{name: "the pod sets automountServiceAccountToken: false", dir: "identity/cluster-admin-pod-no-token",
			absent: []layerEnds{token("api"), rbacEdge(sa("api"), admin)}},
		{name: "the ServiceAccount sets automountServiceAccountToken: false", dir: "identity/cluster-admin-sa-no-token",
			absent: []layerEnds{token("api"), rbacEdge(sa("api"), admin)}},
		{name: "the ClusterRoleBinding removed", dir: "identity/cluster-admin-unbound",
			want:   []layerWant{{layerEnds: token("api"), fixes: []string{automountFix}}},
			absent: []layerEnds{rbacEdge(sa("api"), admin)}},
		{name: "creating pods runs a pod as any service account of the namespace", dir: "identity/create-pods",
			want: []layerWant{
				{layerEnds: token("deployer"), fixes: []string{automountFix}},
				{layerEnds: rbacEdge(sa("deployer"), PowerID("any-sa-in-shop")), fixes: []string{"rbac-binding shop/deployer"},
					rules: []string{"rbac/create-workloads"}, says: []string{"create pods in namespace shop"}},
				{layerEnds: rbacEdge(PowerID("any-sa-in-shop"), sa("admin")), says: []string{"run a pod as shop/admin"}},
				{layerEnds: rbacEdge(sa("admin"), admin), fixes: []string{"rbac-binding admin-admin"}},
			}},
		{name: "the RoleBinding that lets it create pods removed", dir: "identity/create-pods-unbound",
			want:   []layerWant{{layerEnds: token("deployer"), fixes: []string{automountFix}}},
			absent: []layerEnds{rbacEdge(sa("deployer"), PowerID("any-sa-in-shop")), rbacEdge(sa("deployer"), admin)}},
		{name: "listing the namespace's Secrets reaches each", dir: "identity/read-secrets",
			want: []layerWant{
				{layerEnds: rbacEdge(sa("reader"), PowerID("read-secrets-in-shop")), fixes: []string{"rbac-binding shop/reader"},
					rules: []string{"rbac/read-secrets"}},
				{layerEnds: rbacEdge(PowerID("read-secrets-in-shop"), SecretID("shop", "payments"))},
			}},
		{name: "the RoleBinding that lets it list Secrets removed", dir: "identity/read-secrets-unbound",
			absent: []layerEnds{rbacEdge(sa("reader"), PowerID("read-secrets-in-shop"))}},
		{name: "a long-lived token Secret is its service account's token", dir: "identity/token-secret",
			want: []layerWant{
				{layerEnds: layerEnds{SecretID("shop", "ci-token"), sa("ci"), EdgeServiceAccount}, fixes: []string{"token-secret shop/ci-token"},
					says: []string{"Secret shop/ci-token holds a token of ServiceAccount shop/ci"}},
				{layerEnds: rbacEdge(PowerID("read-secrets-in-shop"), SecretID("shop", "ci-token"))},
				// rbac/paths's own step: list the Secrets, read the token
				{layerEnds: rbacEdge(sa("reader"), sa("ci")), fixes: []string{"rbac-binding shop/reader"}, says: []string{"read the token Secret of shop/ci"}},
				{layerEnds: rbacEdge(sa("ci"), admin), fixes: []string{"rbac-binding ci-admin"}},
			}},
		{name: "the token Secret deleted", dir: "identity/token-secret-deleted",
			want:   []layerWant{{layerEnds: rbacEdge(sa("reader"), PowerID("read-secrets-in-shop")), fixes: []string{"rbac-binding shop/reader"}}},
			absent: []layerEnds{rbacEdge(sa("reader"), sa("ci")), {SecretID("shop", "ci-token"), sa("ci"), EdgeServiceAccount}}},
		{name: "a projected token stays whatever automount says", dir: "identity/projected-token",
			want: []layerWant{
				{layerEnds: token("api"), says: []string{`projected volume "vault-token" mounts a token of ServiceAccount shop/api`}},
				{layerEnds: rbacEdge(sa("api"), admin), fixes: []string{"rbac-binding api-admin"}},
			}},
	})
}

// TestIdentityFixesCutPath: from the workload, assumed breached, a path reaches
// cluster-admin; the fix of each of its edges cuts it.
func TestIdentityFixesCutPath(t *testing.T) {
	for _, dir := range []string{"identity/cluster-admin", "identity/create-pods", "identity/token-secret"} {
		t.Run(dir, func(t *testing.T) {
			const api = "shop/Deployment/api"
			g := layerFixture(t, dir, Options{Breached: []string{api}})
			var path *Path
			for _, p := range g.Paths(nil) {
				if p.Entry == BreachID(api) && p.Target == PowerID(PowerClusterAdmin) {
					path = &p
				}
			}
			if path == nil {
				t.Fatalf("no path from %s to cluster-admin", api)
			}
			for _, e := range path.Edges {
				for _, f := range e.Fixes {
					if layerPathListed(g, BreachID(api), PowerID(PowerClusterAdmin), removedSet{f.ID: true}) {
						t.Errorf("with %s applied, %s still reaches cluster-admin", f.ID, api)
					}
				}
			}
		})
	}
}
