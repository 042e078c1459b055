package wire

import "reflect"

// ApplyGuardrail shapes (POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply).
// wire_model_test.go checks them against the API model with the other
// operations' shapes.

// ApplyGuardrailRequest is the API model shape of the same name.
type ApplyGuardrailRequest struct {
	GuardrailIdentifier string                  `json:"-"` // from the URI path
	GuardrailVersion    string                  `json:"-"` // from the URI path
	Source              GuardrailContentSource  `json:"source"`
	Content             []GuardrailContentBlock `json:"content"`
	OutputScope         GuardrailOutputScope    `json:"outputScope,omitempty"`
}

// GuardrailContentBlock is the API model shape of the same name (union: exactly one member is set).
type GuardrailContentBlock struct {
	Text  *GuardrailTextBlock  `json:"text,omitempty"`
	Image *GuardrailImageBlock `json:"image,omitempty"`
}

// GuardrailTextBlock is the API model shape of the same name.
type GuardrailTextBlock struct {
	Text       string                      `json:"text"`
	Qualifiers []GuardrailContentQualifier `json:"qualifiers,omitempty"`
}

// GuardrailImageBlock is the API model shape of the same name.
type GuardrailImageBlock struct {
	Format GuardrailImageFormat  `json:"format"`
	Source *GuardrailImageSource `json:"source,omitempty"`
}

// GuardrailImageSource is the API model shape of the same name (union: exactly one member is set).
type GuardrailImageSource struct {
	Bytes []byte `json:"bytes,omitempty"`
}

// ApplyGuardrailResponse is the API model shape of the same name. Outputs
// and Assessments are always sent (required members), empty as [].
type ApplyGuardrailResponse struct {
	Usage             GuardrailUsage           `json:"usage"`
	Action            GuardrailAction          `json:"action"`
	ActionReason      string                   `json:"actionReason,omitempty"`
	Outputs           []GuardrailOutputContent `json:"outputs"`
	Assessments       []GuardrailAssessment    `json:"assessments"`
	GuardrailCoverage *GuardrailCoverage       `json:"guardrailCoverage,omitempty"`
}

// GuardrailOutputContent is the API model shape of the same name.
type GuardrailOutputContent struct {
	Text string `json:"text,omitempty"`
}

// GuardrailContentSource is the API model enum of the same name.
type GuardrailContentSource string

const (
	GuardrailContentSourceINPUT  GuardrailContentSource = "INPUT"
	GuardrailContentSourceOUTPUT GuardrailContentSource = "OUTPUT"
)

// Values lists every value the API model defines for GuardrailContentSource.
func (GuardrailContentSource) Values() []GuardrailContentSource {
	return []GuardrailContentSource{"INPUT", "OUTPUT"}
}

// GuardrailContentQualifier is the API model enum of the same name.
type GuardrailContentQualifier string

const (
	GuardrailContentQualifierGroundingSource GuardrailContentQualifier = "grounding_source"
	GuardrailContentQualifierQuery           GuardrailContentQualifier = "query"
	GuardrailContentQualifierGuardContent    GuardrailContentQualifier = "guard_content"
)

// Values lists every value the API model defines for GuardrailContentQualifier.
func (GuardrailContentQualifier) Values() []GuardrailContentQualifier {
	return []GuardrailContentQualifier{"grounding_source", "query", "guard_content"}
}

// GuardrailImageFormat is the API model enum of the same name.
type GuardrailImageFormat string

// Values lists every value the API model defines for GuardrailImageFormat.
func (GuardrailImageFormat) Values() []GuardrailImageFormat {
	return []GuardrailImageFormat{"png", "jpeg"}
}

// GuardrailOutputScope is the API model enum of the same name.
type GuardrailOutputScope string

const (
	GuardrailOutputScopeINTERVENTIONS GuardrailOutputScope = "INTERVENTIONS"
	GuardrailOutputScopeFULL          GuardrailOutputScope = "FULL"
)

// Values lists every value the API model defines for GuardrailOutputScope.
func (GuardrailOutputScope) Values() []GuardrailOutputScope {
	return []GuardrailOutputScope{"INTERVENTIONS", "FULL"}
}

// GuardrailAction is the API model enum of the same name.
type GuardrailAction string

const (
	GuardrailActionNONE                GuardrailAction = "NONE"
	GuardrailActionGUARDRAILINTERVENED GuardrailAction = "GUARDRAIL_INTERVENED"
)

// Values lists every value the API model defines for GuardrailAction.
func (GuardrailAction) Values() []GuardrailAction {
	return []GuardrailAction{"NONE", "GUARDRAIL_INTERVENED"}
}

// ApplyGuardrail validates an ApplyGuardrail request, including its path
// members guardrailIdentifier and guardrailVersion. The error is a
// *Exception of type ValidationException.
func (v *Validator) ApplyGuardrail(req *ApplyGuardrailRequest) error {
	c := &collector{}
	for _, f := range []struct {
		n           *node
		name, value string
	}{
		{v.guardrailIdentifier, "guardrailIdentifier", req.GuardrailIdentifier},
		{v.guardrailVersion, "guardrailVersion", req.GuardrailVersion},
	} {
		for _, con := range stringConstraints(f.n, f.value) {
			c.add(shorten(f.value), true, f.name, con)
		}
	}
	c.walk(v.applyGuardrail, reflect.ValueOf(req).Elem(), false)
	return c.err()
}

// compileApplyGuardrail adds the ApplyGuardrail plans to v.
func (v *Validator) compileApplyGuardrail(p *planner) error {
	var err error
	if v.applyGuardrail, err = p.compile("ApplyGuardrailRequest", reflect.TypeFor[ApplyGuardrailRequest]()); err != nil {
		return err
	}
	members := p.m.Shapes["ApplyGuardrailRequest"].Members
	str := reflect.TypeFor[string]()
	if v.guardrailIdentifier, err = p.compile(members["guardrailIdentifier"].Shape, str); err != nil {
		return err
	}
	v.guardrailVersion, err = p.compile(members["guardrailVersion"].Shape, str)
	return err
}
