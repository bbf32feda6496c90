package agent

import (
	"encoding/json"
	"fmt"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Export formats: the function-calling JSON of each kind of client.
const (
	FormatOpenAI    = "openai"
	FormatAnthropic = "anthropic"
	FormatMCP       = "mcp"
)

// Formats lists the export formats.
var Formats = []string{FormatOpenAI, FormatAnthropic, FormatMCP}

// OpenAITool is a tool in OpenAI's function-calling shape.
type OpenAITool struct {
	Type     string         `json:"type"` // always "function"
	Function OpenAIFunction `json:"function"`
}

// OpenAIFunction describes the function of an [OpenAITool].
type OpenAIFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// AnthropicTool is a tool in Anthropic's Messages API shape.
type AnthropicTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// Export renders tools in format: a list of [OpenAITool], of
// [AnthropicTool], or of MCP tools exactly as tools/list gives them.
func Export(tools []Tool, format string) (any, error) {
	switch format {
	case FormatOpenAI:
		out := make([]OpenAITool, 0, len(tools))
		for i := range tools {
			t := &tools[i]
			out = append(out, OpenAITool{Type: "function", Function: OpenAIFunction{
				Name: t.Name, Description: t.Description(), Parameters: t.InputSchemaJSON(),
			}})
		}
		return out, nil
	case FormatAnthropic:
		out := make([]AnthropicTool, 0, len(tools))
		for i := range tools {
			t := &tools[i]
			out = append(out, AnthropicTool{Name: t.Name, Description: t.Description(), InputSchema: t.InputSchemaJSON()})
		}
		return out, nil
	case FormatMCP:
		out := make([]*sdk.Tool, 0, len(tools))
		for i := range tools {
			out = append(out, tools[i].MCP())
		}
		return out, nil
	}
	return nil, fmt.Errorf("format must be one of %v, got %q", Formats, format)
}

// MCP is the tool as tools/list shows it.
func (t *Tool) MCP() *sdk.Tool {
	tool := &sdk.Tool{
		Name:        t.Name,
		Title:       t.Action.Name,
		Description: t.Description(),
		InputSchema: t.InputSchema(),
		Annotations: t.Annotations(),
	}
	if out := t.OutputSchema(); out != nil {
		tool.OutputSchema = out
	}
	return tool
}
