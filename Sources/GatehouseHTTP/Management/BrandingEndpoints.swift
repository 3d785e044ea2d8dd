import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// `/api/v2/branding` (Auth0 "Management API: Branding"): the logo, favicon, font and colours
/// the hosted pages wear. Colours are `#rgb`/`#rrggbb`; URLs are absolute `https` (see
/// `BrandingValidation` for why nothing else can reach a page).
struct BrandingEndpoints {
    let services: IdentityServices

    static let color = JSONSchema.string(maxLength: 7, format: "color")
    static let url = JSONSchema.string(maxLength: BrandingValidation.maximumURLLength, format: "uri")
    static let gradient = JSONSchema.object(
        JSONSchema.ObjectSchema(
            properties: [
                .init(name: "type", schema: .string(["linear-gradient"])), .init(name: "start", schema: color),
                .init(name: "end", schema: color), .init(name: "angle_deg", schema: .integer(-360...360)),
            ], required: ["type", "start", "end", "angle_deg"], closed: true))
    static func colors(nullable: Bool) -> JSONSchema {
        func maybe(_ schema: JSONSchema) -> JSONSchema { nullable ? .nullable(schema) : schema }
        return .object(
            JSONSchema.ObjectSchema(
                properties: [
                    .init(name: "primary", schema: maybe(color)),
                    .init(name: "page_background", schema: maybe(.oneOf([color, gradient]))),
                ], closed: true))
    }
    static let font = JSONSchema.object(
        JSONSchema.ObjectSchema(properties: [.init(name: "url", schema: url)], required: ["url"], closed: true))
    /// The PATCH body: every member optional, `null` removes one.
    static let patch = JSONSchema.object(
        JSONSchema.ObjectSchema(
            properties: [
                .init(name: "colors", schema: .nullable(colors(nullable: true))), .init(name: "logo_url", schema: .nullable(url)),
                .init(name: "favicon_url", schema: .nullable(url)), .init(name: "font", schema: .nullable(font)),
            ], closed: true))
    static let settingsSchema = JSONSchema.object(
        ["colors": colors(nullable: false), "logo_url": url, "favicon_url": url, "font": font])
    static let example: JSONValue = .object([
        "colors": .object(["primary": "#0059d6", "page_background": "#f3f4f6"]),
        "logo_url": "https://example.com/logo.png", "favicon_url": "https://example.com/favicon.ico",
    ])

    var endpoints: [ManagementEndpoint] {
        let branding = BrandingService(storage: services.storage)
        return [
            ManagementEndpoint(
                .get, "/branding", scope: "read:branding", tag: "branding",
                summary: "Get the branding of the hosted pages (logo, favicon, font, primary colour, page background)",
                response: .value(Self.settingsSchema)
            ) { _, _ in try JSONResponse.make(try await branding.settings()) },
            ManagementEndpoint(
                .patch, "/branding", scope: "update:branding", tag: "branding",
                summary:
                    "Update the branding of the hosted pages (members left out keep their value, null removes one; colours #rgb or #rrggbb, URLs absolute https)",
                request: .init(schema: Self.patch, example: Self.example, optional: false), response: .value(Self.settingsSchema)
            ) { request, context in
                let body = try await context.body([String: JSONValue].self, from: request)
                do {
                    return try JSONResponse.make(try await branding.update(body))
                } catch let error as BrandingValidationError {
                    throw ManagementAPIError.badRequest(error.message)
                }
            },
        ]
    }
}
