import Testing

/// The excerpt is beside the repository in the project's own workplace, not in a user's clone.
private let excerpt = OpenAPIExcerpt.load()

@Suite("OpenAPI facts carried in the repository")
struct OpenAPIFactsTests {
    @Test(.enabled(if: excerpt != nil, "../shared/workiva-oas-excerpt.yaml is not beside the repository"))
    func theCarriedFactsMatchTheExcerpt() throws {
        let oas = try #require(excerpt)
        for (schema, properties) in OpenAPIFacts.enums {
            for (property, values) in properties {
                #expect(oas.enumValues(schema: schema, property: property) == values, "\(schema).\(property)")
            }
        }
        for (schema, fields) in OpenAPIFacts.required {
            #expect(oas.requiredFields(schema: schema) == fields, "\(schema).required")
        }
        for (schema, names) in OpenAPIFacts.properties {
            #expect(oas.propertyNames(schema: schema) == names, "\(schema).properties")
        }
    }
}
