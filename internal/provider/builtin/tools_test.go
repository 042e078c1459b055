package builtin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/jsonschema-go/jsonschema"
)

// Realistic tool schemas: AWS's documented examples, the seeds' tools, an
// MCP-style search tool and other shapes agent SDKs send.
var (
	// AWS User Guide, "Use a tool to complete an Amazon Bedrock model
	// response" (the top_song example).
	topSongSchema = `{"type":"object","properties":{"sign":{"type":"string","description":"The call sign for the radio station for which you want the most popular song. Example calls signs are WZPZ and WKRP."}},"required":["sign"]}`
	// awsdocs/aws-doc-sdk-examples, converse_tool_scenario tool_config.json:
	// coordinates as strings.
	awsWeatherSchema = `{"type":"object","properties":{"latitude":{"type":"string","description":"Geographical WGS84 latitude of the location."},"longitude":{"type":"string","description":"Geographical WGS84 longitude of the location."}},"required":["latitude","longitude"]}`
	// The seeds' Weather_Tool and CreateSupportTicket.
	seedWeatherSchema = `{"type":"object","properties":{"latitude":{"type":"number"},"longitude":{"type":"number"}},"required":["latitude","longitude"]}`
	ticketSchema      = `{"type":"object","properties":{"issue_description":{"type":"string"},"customer_id":{"type":"string"},"priority":{"type":"string","enum":["low","medium","high"]}},"required":["issue_description","customer_id"]}`
	// An MCP server's search tool (inputSchema as MCP servers publish it).
	searchSchema = `{"type":"object","properties":{"query":{"type":"string","minLength":1},"max_results":{"type":"integer","minimum":1,"maximum":20,"default":5},"include_domains":{"type":"array","items":{"type":"string"}}},"required":["query"],"additionalProperties":false}`
	// pydantic-ai's recorded Bedrock tools.
	cityTempSchema  = `{"properties":{"city":{"description":"The city name.","title":"City","type":"string"}},"required":["city"],"type":"object","additionalProperties":false}`
	capitalSchema   = `{"properties":{"country":{"description":"The country name.","title":"Country","type":"string"}},"required":["country"],"type":"object","additionalProperties":false}`
	stockSchema     = `{"type":"object","properties":{"ticker":{"type":"string","pattern":"^[A-Z]{1,5}$"},"currency":{"type":"string","enum":["USD","EUR","GBP"]}},"required":["ticker"]}`
	horoscopeSchema = `{"type":"object","properties":{"sign":{"type":"string","enum":["Aries","Taurus","Gemini","Cancer","Leo","Virgo","Libra","Scorpio","Sagittarius","Capricorn","Aquarius","Pisces"]}},"required":["sign"]}`
	bookingSchema   = `{"type":"object","properties":{"destination":{"type":"string"},"nights":{"type":"integer","minimum":1},"check_in":{"type":"string","format":"date"},"travelers":{"type":"integer","minimum":1,"maximum":9},"refundable":{"type":"boolean"}},"required":["destination","nights","check_in","travelers"]}`
	eventSchema     = `{"type":"object","properties":{"title":{"type":"string","maxLength":40},"attendees":{"type":"array","minItems":1,"items":{"type":"object","properties":{"name":{"type":"string"},"email":{"type":"string","format":"email"}},"required":["name","email"]}},"all_day":{"type":"boolean"}},"required":["title","attendees","all_day"]}`
	forecastSchema  = `{"type":"object","properties":{"location":{"type":"string"},"days":{"type":"integer","minimum":1,"maximum":14},"unit":{"type":"string","enum":["celsius","fahrenheit"]},"include_hourly":{"type":"boolean"}},"required":["location"]}`
	allOfSchema     = `{"allOf":[{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},{"properties":{"limit":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}},"required":["limit"]}]}`
)

// Tool arguments come from the relevant part of the question, and every
// input is valid against the tool's JSON schema.
func TestToolArguments(t *testing.T) {
	for _, tc := range []struct {
		name, schema, question string
		want                   string // the input, as JSON
	}{
		{"top song call sign", topSongSchema, "What is the most popular song on WZPZ?", `{"sign":"WZPZ"}`},
		{"string coordinates of a city", awsWeatherSchema, "What's the weather like in Seattle?", `{"latitude":"47.6062","longitude":"-122.3321"}`},
		{"a number pair is coordinates", seedWeatherSchema, "What is the weather at 48.85, 2.35 right now?", `{"latitude":48.85,"longitude":2.35}`},
		{"hemispheres", seedWeatherSchema, "Weather at 33.87S 151.21E please", `{"latitude":-33.87,"longitude":151.21}`},
		{"ticket", ticketSchema, "Customer C-42 reports a high priority outage", `{"customer_id":"C-42","issue_description":"Customer C-42 reports a high priority outage","priority":"high"}`},
		{"label prefix is not the issue", ticketSchema, "客户C001咨询: 产品无法开机", `{"customer_id":"C001","issue_description":"产品无法开机"}`},
		{"enum needs a whole word", ticketSchema, "Please follow up on ticket T-7", `{"customer_id":"T-7","issue_description":"follow up on ticket T-7"}`},
		{"search query without the request words", searchSchema, "Search the web for Bedrock prompt caching, top 3 results", `{"query":"Bedrock prompt caching, top 3 results","max_results":3}`},
		{"quoted query", searchSchema, `Look up "converse stream event order" for me`, `{"query":"converse stream event order"}`},
		{"city", cityTempSchema, "What is the temperature in Lisbon today?", `{"city":"Lisbon"}`},
		{"country", capitalSchema, "What is the capital of France?", `{"country":"France"}`},
		{"ticker", stockSchema, "What's Apple's stock price in EUR? (AAPL)", `{"ticker":"AAPL","currency":"EUR"}`},
		{"enum sign", horoscopeSchema, "What is the horoscope for Leo this week?", `{"sign":"Leo"}`},
		{"booking", bookingSchema, "Book 3 nights in Tokyo from 2025-07-01 for 2 people, refundable", `{"check_in":"2025-07-01","destination":"Tokyo","nights":3,"travelers":2,"refundable":true}`},
		{"nested array of objects", eventSchema, `Schedule a meeting called "Design review" with Ada Lovelace (ada@example.com), all day`, `{"title":"Design review","attendees":[{"name":"Ada Lovelace","email":"ada@example.com"}],"all_day":true}`},
		{"optional fields the text supplies", forecastSchema, "Forecast for Berlin for the next 5 days in fahrenheit, without hourly data", `{"location":"Berlin","days":5,"unit":"fahrenheit","include_hourly":false}`},
		{"optional fields left out", forecastSchema, "Will it rain in Madrid?", `{"location":"Madrid"}`},
		{"allOf and exclusive bounds", allOfSchema, "Restaurants in Rome, limit 50", `{"city":"Rome","limit":9}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tool := `{"toolSpec":{"name":"tool","description":"` + tc.name + `","inputSchema":{"json":` + tc.schema + `}}}`
			req := decode(t, `{"messages":[{"role":"user","content":[{"text":`+jsonString(tc.question)+`}]}],"toolConfig":{"tools":[`+tool+`],"toolChoice":{"any":{}}}}`)
			calls := toolCalls(req)
			if len(calls) != 1 {
				t.Fatalf("calls %+v", calls)
			}
			var got, want any
			if err := json.Unmarshal(calls[0].Input, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("input (-want +got):\n%s", diff)
			}
			validate(t, tc.schema, got)
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// validate checks an input against its schema with google/jsonschema-go.
func validate(t *testing.T, schema string, input any) {
	t.Helper()
	var s jsonschema.Schema
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		t.Fatal(err)
	}
	r, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(input); err != nil {
		t.Errorf("input %v is not valid against the schema: %v", input, err)
	}
}

// Whatever the question, every required field is filled and the input is
// valid against the schema, including questions that supply nothing.
func TestToolInputsAlwaysValid(t *testing.T) {
	schemas := []string{topSongSchema, awsWeatherSchema, seedWeatherSchema, ticketSchema, searchSchema, cityTempSchema, capitalSchema, stockSchema, horoscopeSchema, bookingSchema, eventSchema, forecastSchema, allOfSchema,
		`{"type":"object","properties":{"code":{"type":"string","minLength":8,"maxLength":8},"n":{"type":"number","multipleOf":0.5,"minimum":2}},"required":["code","n"]}`,
		`{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"},"minItems":3,"uniqueItems":true},"v":{"type":["null","integer"]}},"required":["tags","v"]}`,
		`{"type":"object","properties":{"when":{"type":"string","format":"date-time"},"kind":{"const":"event"},"x":{"anyOf":[{"type":"null"},{"type":"string","maxLength":3}]}},"required":["when","kind","x"]}`,
	}
	questions := []string{"", "hi", "What is the most popular song on WZPZ?", "客户C001咨询: 产品无法开机", "Book 300 nights for -4 people at 91.5, 200.1", strings.Repeat("word ", 3000)}
	for _, schema := range schemas {
		for _, q := range questions {
			var m map[string]any
			if err := json.Unmarshal([]byte(schema), &m); err != nil {
				t.Fatal(err)
			}
			in := fillSchema(m, newFiller(q))
			b, _ := json.Marshal(in)
			var v any
			_ = json.Unmarshal(b, &v)
			validate(t, schema, v)
		}
	}
}

// A system prompt that tells the model to use a tool makes it call the tool
// for a question about a place, even one that shares no word with the
// tool's description (AWS's converse_tool_scenario, questions 3 and 4);
// not for a question about no place, nor without such a system prompt.
func TestToolsTheSystemPromptInstructs(t *testing.T) {
	const system = "You are a weather assistant that provides current weather data for user-specified locations using only\nthe Weather_Tool, which expects latitude and longitude. Infer the coordinates from the location yourself."
	tool := `{"toolSpec":{"name":"Weather_Tool","description":"Get the current weather for a given location, based on its WGS84 coordinates.","inputSchema":{"json":` + awsWeatherSchema + `}}}`
	for _, tc := range []struct {
		question, system string
		want             string // the input, or "" for no call
	}{
		{"Where is the warmest city in Washington State right now?", system, `{"latitude":"47.7511","longitude":"-120.7401"}`},
		{"What's the warmest city in California right now?", system, `{"latitude":"36.7783","longitude":"-119.4179"}`},
		{"What's the best kind of cat?", system, ""},
		{"Where is the warmest city in Washington State right now?", "You are a helpful assistant.", ""},
	} {
		req := decode(t, `{"system":[{"text":`+jsonString(tc.system)+`}],"messages":[{"role":"user","content":[{"text":`+jsonString(tc.question)+`}]}],"toolConfig":{"tools":[`+tool+`]}}`)
		calls := toolCalls(req)
		switch {
		case tc.want == "" && len(calls) != 0:
			t.Errorf("%q (system %q) called %s", tc.question, tc.system, calls[0].Input)
		case tc.want != "" && (len(calls) != 1 || string(calls[0].Input) != tc.want):
			t.Errorf("%q: calls %+v, want Weather_Tool with %s", tc.question, calls, tc.want)
		}
	}
}
