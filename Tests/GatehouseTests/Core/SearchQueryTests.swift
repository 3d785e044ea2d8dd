import GatehouseCore
import Testing

/// The `q` search language (`SearchQuery`): what parses, what it matches, what is refused.
@Suite("Search queries: Auth0's documented subset of Lucene syntax")
struct SearchQueryTests {
    static let jane: JSONValue = .object([
        "user_id": "auth0|abc123", "email": "Jane.Doe@Example.com", "name": "Jane Doe", "logins_count": 12, "blocked": false,
        "created_at": "2026-11-20T10:00:00.000Z",
        "app_metadata": .object(["plan": "gold", "roles": .array(["admin", "editor"]), "billing": .object(["tier": 3])]),
        "user_metadata": .object(["addresses": .array([.object(["city": "Paris"]), .object(["city": "Lyon"])])]),
    ])

    static func matches(_ q: String, _ document: JSONValue = jane) throws -> Bool {
        let query = try SearchQuery.parse(q)
        try query.check(.users)
        return query.matches(document, fields: .users)
    }

    @Test("fields, phrases, case rules, wildcards, ranges, _exists_, booleans and nested metadata")
    func matching() throws {
        #expect(try Self.matches(#"email:"jane.doe@example.com""#), "email compares without case")
        #expect(try Self.matches("name:jane*") && !Self.matches("name:john*"))
        #expect(try Self.matches("email:*@example.com") && Self.matches("email.domain:example.com"))
        #expect(try Self.matches("app_metadata.plan:gold") && !Self.matches("app_metadata.plan:Gold"), "metadata is case-sensitive")
        #expect(try Self.matches("app_metadata.roles:admin"), "arrays are searched through")
        #expect(try Self.matches("user_metadata.addresses.city:Lyon"))
        #expect(try Self.matches("logins_count:[10 TO 20]") && !Self.matches("logins_count:{12 TO 20]"))
        #expect(try Self.matches("logins_count:[* TO 12]") && Self.matches("app_metadata.billing.tier:3"))
        #expect(try Self.matches("created_at:[2026-11-01 TO 2026-12-01]") && !Self.matches("created_at:[2026-12-01 TO *]"))
        #expect(try Self.matches("blocked:false") && Self.matches("_exists_:app_metadata.plan") && !Self.matches("_exists_:username"))
        #expect(try Self.matches("jane") && Self.matches("doe") && !Self.matches("paris"), "bare terms search the profile, not metadata")
    }

    @Test("AND, OR, NOT, '-', parentheses; adjacent terms are OR'd (Lucene's default)")
    func operators() throws {
        #expect(try Self.matches("app_metadata.plan:gold AND logins_count:12"))
        #expect(try !Self.matches("app_metadata.plan:gold AND logins_count:13"))
        #expect(try Self.matches("app_metadata.plan:silver OR name:jane*"))
        #expect(try Self.matches("app_metadata.plan:silver name:jane*"))
        #expect(try !Self.matches("NOT app_metadata.plan:gold") && !Self.matches("-app_metadata.plan:gold"))
        #expect(try Self.matches("(app_metadata.plan:silver OR app_metadata.plan:gold) AND NOT blocked:true"))
        #expect(try Self.matches(#"user_id:"auth0|abc123""#) && Self.matches("user_id:auth0|abc123"))
    }

    @Test(
        "malformed or unsupported queries are refused with a reason, never a crash",
        arguments: [
            "", "   ", "name:", #"name:"open"#, "(name:jane", "name:jane)", "AND name:jane", "name:jane~2", "name:jane^2",
            "name:/ja.e/", "name:j?ne", "logins_count:[1 TO", "logins_count:[1 5]", "user_metadata.city:Par*",
            "user_metadata.age:[1 TO 5]", "_exists_:", String(repeating: "(", count: 5_000) + "a" + String(repeating: ")", count: 5_000),
            String(repeating: "NOT ", count: 100) + "a", String(repeating: "a ", count: 2_000),
            String(repeating: "(", count: 50) + "a" + String(repeating: ")", count: 50),
        ])
    func refused(_ q: String) {
        #expect(throws: SearchQuery.ParseError.self) { _ = try Self.matches(q) }
    }
}
