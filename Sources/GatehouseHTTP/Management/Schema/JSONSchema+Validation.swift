import GatehouseCore

extension JSONSchema {
    /// What is wrong with `value`, in the words of Auth0's "Payload validation error" (the
    /// text between the quotes), with the property it concerns; `nil` when `value` fits.
    struct Violation: Error, Equatable {
        let problem: String
        let property: String

        /// Auth0's message: `Payload validation error: 'Expected type string but found type null' on property name.`
        var message: String {
            property.isEmpty
                ? "Payload validation error: '\(problem)'." : "Payload validation error: '\(problem)' on property \(property)."
        }
    }

    func violation(of value: JSONValue, at property: String = "") -> Violation? {
        switch (self, value) {
        case (.any, _): return nil
        case (.nullable, .null): return nil
        case (.nullable(let wrapped), _): return wrapped.violation(of: value, at: property)
        case (.oneOf(let choices), _):
            return choices.contains { $0.violation(of: value, at: property) == nil }
                ? nil : Violation(problem: "Data does not match any schemas from 'oneOf'", property: property)
        case (.string(let rules), .string(let text)):
            if let allowed = rules.allowed, !allowed.contains(text) {
                return Violation(problem: "No enum match for: \(JSONValue.string(text).jsonText())", property: property)
            }
            if let minimum = rules.minLength, text.count < minimum {
                return Violation(problem: "String is too short (\(text.count) chars), minimum \(minimum)", property: property)
            }
            if let maximum = rules.maxLength, text.count > maximum {
                return Violation(problem: "String is too long (\(text.count) chars), maximum \(maximum)", property: property)
            }
            return nil
        case (.integer(let range), .number(let number)):
            guard number.rounded() == number, abs(number) < 9_007_199_254_740_992 else {
                return Violation(problem: "Expected type integer but found type number", property: property)
            }
            if let range, number < Double(range.lowerBound) {
                return Violation(problem: "Value \(Int(number)) is less than minimum \(range.lowerBound)", property: property)
            }
            if let range, number > Double(range.upperBound) {
                return Violation(problem: "Value \(Int(number)) is greater than maximum \(range.upperBound)", property: property)
            }
            return nil
        case (.number, .number), (.boolean, .bool): return nil
        case (.array(let items, let maxItems), .array(let values)):
            if let maxItems, values.count > maxItems {
                return Violation(problem: "Array is too long (\(values.count)), maximum \(maxItems)", property: property)
            }
            for (index, item) in values.enumerated() {
                if let violation = items.violation(of: item, at: "\(property)[\(index)]") { return violation }
            }
            return nil
        case (.map(let values), .object(let members)):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let violation = values.violation(of: member, at: Self.join(property, key)) { return violation }
            }
            return nil
        case (.object(let schema), .object(let members)):
            let missing = schema.required.filter { members[$0] == nil }
            if !missing.isEmpty {
                return Violation(problem: "Missing required property: \(missing.joined(separator: ", "))", property: property)
            }
            if schema.closed {
                let extra = members.keys.filter { schema[$0] == nil }.sorted()
                if !extra.isEmpty {
                    return Violation(problem: "Additional properties not allowed: \(extra.joined(separator: ","))", property: property)
                }
            }
            for field in schema.properties {
                guard let member = members[field.name] else { continue }
                if let violation = field.schema.violation(of: member, at: Self.join(property, field.name)) { return violation }
            }
            return nil
        default:
            return Violation(problem: "Expected type \(typeName) but found type \(Self.typeName(of: value))", property: property)
        }
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The JSON type this schema expects, as Auth0's messages name it.
    var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .array: "array"
        case .object, .map: "object"
        case .nullable(let wrapped): wrapped.typeName
        case .oneOf(let choices): choices.map(\.typeName).joined(separator: " or ")
        case .any: "any"
        }
    }

    static func typeName(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number.rounded() == number ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
