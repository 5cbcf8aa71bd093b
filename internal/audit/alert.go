package audit

import (
	"time"

	"github.com/moat-dev/moat/internal/finding"
)

// Alert is what a detection rule raises for one event (or, for a rate rule, for the event
// that crossed the threshold).
type Alert struct {
	Time         time.Time        `json:"time"`
	Rule         string           `json:"rule"`
	Title        string           `json:"title"`
	Severity     finding.Severity `json:"severity"`
	Message      string           `json:"message"`
	User         string           `json:"user"`
	Groups       []string         `json:"groups,omitempty"`
	Impersonator string           `json:"impersonator,omitempty"` // the authenticated user when the request impersonated User
	SourceIPs    []string         `json:"sourceIPs,omitempty"`
	UserAgent    string           `json:"userAgent,omitempty"`
	Verb         string           `json:"verb"`
	Object       *ObjectRef       `json:"object,omitempty"`
	RequestURI   string           `json:"requestURI,omitempty"`
	Code         int32            `json:"code,omitempty"`
	AuditID      string           `json:"auditID"`
	Stage        string           `json:"stage"`
	MITRE        []string         `json:"mitre,omitempty"`
}

// ObjectRef names the object of a request.
type ObjectRef struct {
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
}

// EffectiveUser is the user a request acted as: the impersonated user when the request
// impersonated someone, else the authenticated user.
func EffectiveUser(ev *Event) (name string, groups []string, impersonator string) {
	if ev.ImpersonatedUser != nil && ev.ImpersonatedUser.Username != "" {
		return ev.ImpersonatedUser.Username, ev.ImpersonatedUser.Groups, ev.User.Username
	}
	return ev.User.Username, ev.User.Groups, ""
}

// NewAlert fills the event's fields of an alert.
func NewAlert(ev *Event) Alert {
	user, groups, imp := EffectiveUser(ev)
	a := Alert{
		Time:         ev.StageTimestamp.Time,
		User:         user,
		Groups:       groups,
		Impersonator: imp,
		SourceIPs:    ev.SourceIPs,
		UserAgent:    ev.UserAgent,
		Verb:         ev.Verb,
		RequestURI:   ev.RequestURI,
		AuditID:      string(ev.AuditID),
		Stage:        string(ev.Stage),
	}
	if a.Time.IsZero() {
		a.Time = ev.RequestReceivedTimestamp.Time
	}
	if r := ev.ObjectRef; r != nil {
		a.Object = &ObjectRef{APIGroup: r.APIGroup, APIVersion: r.APIVersion, Resource: r.Resource,
			Subresource: r.Subresource, Namespace: r.Namespace, Name: r.Name}
	}
	if ev.ResponseStatus != nil {
		a.Code = ev.ResponseStatus.Code
	}
	return a
}
