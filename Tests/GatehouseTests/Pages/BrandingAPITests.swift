import Foundation
import GatehouseCore
import Hummingbird
import Testing

@Suite("Management API: /api/v2/branding (Auth0's shape, scopes and errors)")
struct BrandingAPITests {
    @Test("nothing set reads as {}; a PATCH merges, null removes a member, a gradient background is kept as sent")
    func readAndUpdate() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let empty = try await client.json(.get, "/api/v2/branding", token: fixtures.token)
            #expect(empty.status == .ok && empty.json == .object([:]), "\(empty.text)")

            let set = try await client.json(
                .patch, "/api/v2/branding",
                .object([
                    "colors": .object(["primary": "#0059d6", "page_background": "#FAFAFA"]),
                    "logo_url": "https://cdn.example.com/logo.png", "favicon_url": "https://cdn.example.com/favicon.ico",
                    "font": .object(["url": "https://fonts.example.com/brand.woff2"]),
                ]), token: fixtures.token)
            #expect(set.status == .ok, "\(set.text)")
            #expect(set.json["colors"]?["primary"] == "#0059d6" && set.json["logo_url"] == "https://cdn.example.com/logo.png")
            #expect(set.json["font"]?["url"] == "https://fonts.example.com/brand.woff2")

            let gradient: JSONValue = .object(["type": "linear-gradient", "start": "#ffffff", "end": "#000", "angle_deg": 35])
            let merged = try await client.json(
                .patch, "/api/v2/branding", .object(["colors": .object(["page_background": gradient]), "favicon_url": .null]),
                token: fixtures.token)
            #expect(merged.status == .ok, "\(merged.text)")
            let read = try await client.json(.get, "/api/v2/branding", token: fixtures.token)
            #expect(read.json["colors"]?["primary"] == "#0059d6", "a member left out keeps its value: \(read.text)")
            #expect(read.json["colors"]?["page_background"] == gradient)
            #expect(read.json["favicon_url"] == nil, "null removes the favicon: \(read.text)")
            #expect(read.json["logo_url"] == "https://cdn.example.com/logo.png")
        }
    }

    @Test("values that could break out of a page are refused with Auth0's 400 naming the property; nothing is stored")
    func validation() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let bodies: [(JSONValue, String)] = [
                (.object(["colors": .object(["primary": "red"])]), "colors.primary"),
                (.object(["colors": .object(["primary": "#000; } body { display:none"])]), "colors.primary"),
                (.object(["colors": .object(["primary": "#12345g"])]), "colors.primary"),
                (.object(["colors": .object(["page_background": "</style><script>alert(1)</script>"])]), "colors.page_background"),
                (
                    .object([
                        "colors": .object([
                            "page_background": .object(["type": "linear-gradient", "start": "#fff", "end": "red)", "angle_deg": 0])
                        ])
                    ]), "colors.page_background.end"
                ),
                (.object(["logo_url": "javascript:alert(1)"]), "logo_url"),
                (.object(["logo_url": "data:image/svg+xml,<svg onload=alert(1)>"]), "logo_url"),
                (.object(["logo_url": "http://cdn.example.com/logo.png"]), "logo_url"),
                (.object(["logo_url": "https://cdn.example.com/a\" onerror=\"alert(1)"]), "logo_url"),
                (.object(["logo_url": "https://user:pass@cdn.example.com/logo.png"]), "logo_url"),
                (.object(["logo_url": "/logo.png"]), "logo_url"),
                (.object(["favicon_url": "https://cdn.example.com/x.ico'"]), "favicon_url"),
                (.object(["font": .object(["url": "https://fonts.example.com/f.woff2\"); } body { background: url(x"])]), "font.url"),
            ]
            for (body, property) in bodies {
                let refused = try await client.json(.patch, "/api/v2/branding", body, token: fixtures.token)
                #expect(refused.status == .badRequest, "\(body.jsonText()): \(refused.text)")
                #expect(refused.json["statusCode"] == 400 && refused.json["error"] == "Bad Request", "\(refused.text)")
                #expect(refused.json["errorCode"] == "invalid_body", "\(refused.text)")
                #expect(refused.json["message"]?.stringValue?.contains("on property \(property)") == true, "\(refused.text)")
            }
            for body: JSONValue in [.object(["colour": "#fff"]), .object(["logo_url": 7]), .object(["colors": "#fff"])] {
                let refused = try await client.json(.patch, "/api/v2/branding", body, token: fixtures.token)
                #expect(refused.status == .badRequest && refused.json["statusCode"] == 400, "\(body.jsonText()): \(refused.text)")
            }
            let after = try await client.json(.get, "/api/v2/branding", token: fixtures.token)
            #expect(after.json == .object([:]), "a refused PATCH stores nothing: \(after.text)")
        }
    }

    @Test("read:branding reads, update:branding writes; a token without them is refused with 403")
    func scopes() async throws {
        try await TestServer.run { client in
            let readOnly = try await client.managementToken(scope: "read:branding")
            #expect(try await client.json(.get, "/api/v2/branding", token: readOnly).status == .ok)
            let patch: JSONValue = .object(["colors": .object(["primary": "#123456"])])
            let forbidden = try await client.json(.patch, "/api/v2/branding", patch, token: readOnly)
            #expect(forbidden.status == .forbidden && forbidden.json["statusCode"] == 403, "\(forbidden.text)")
            let writer = try await client.managementToken(scope: "update:branding")
            #expect(try await client.json(.patch, "/api/v2/branding", patch, token: writer).status == .ok)
            #expect(try await client.json(.get, "/api/v2/branding", token: writer).status == .forbidden)
            let document = try await client.request(.get, "/api/v2/openapi.json")
            #expect(document.json["paths"]?["/branding"]?["patch"] != nil, "the OpenAPI document lists PATCH /branding")
        }
    }
}
