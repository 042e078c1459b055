// Package wire holds the JSON types of Bedrock Runtime's Converse,
// ConverseStream and CountTokens operations, named exactly as the shapes of
// the official API model, and the one Bedrock exception type every failure
// becomes. It imports only the standard library.
//
// Unions are structs of pointers (or slices) of which exactly one is set.
// Optional scalars are pointers so that "absent" and "zero" stay distinct.
package wire
