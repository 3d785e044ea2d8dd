import GatehouseCore

/// A branding value that cannot be stored, with the property it concerns and what to send instead.
public struct BrandingValidationError: Error, Sendable, Equatable {
    public let message: String

    static func color(_ value: String, at property: String) -> Self {
        BrandingValidationError(
            message:
                "Payload validation error: 'Object didn't pass validation for format color: \(value.prefix(64))' on property \(property) (use #rgb or #rrggbb, e.g. #0059d6)."
        )
    }

    static func url(_ value: String, at property: String) -> Self {
        BrandingValidationError(
            message:
                "Payload validation error: 'Object didn't pass validation for format absolute-https-uri: \(value.prefix(64))' on property \(property) (use an absolute https URL of a host name, at most \(BrandingValidation.maximumURLLength) characters, without quotes, spaces, parentheses or backslashes, e.g. https://example.com/logo.png)."
        )
    }
}

extension BrandingSettings {
    /// Applies a `PATCH /api/v2/branding` body: members given replace the stored ones, `null`
    /// removes one, members left out keep their value. Nothing is changed when a value is wrong.
    /// The body's shape (types, known members) was checked against the endpoint's schema first.
    public func patched(with patch: [String: JSONValue]) throws(BrandingValidationError) -> BrandingSettings {
        var updated = self
        if let colors = patch["colors"] {
            if let object = colors.objectValue {
                var merged = updated.colors ?? Colors()
                if let primary = object["primary"] { merged.primary = try Self.color(primary, at: "colors.primary") }
                if let background = object["page_background"] {
                    merged.page_background = try Self.background(background)
                }
                updated.colors = merged.primary == nil && merged.page_background == nil ? nil : merged
            } else {
                updated.colors = nil
            }
        }
        if let logo = patch["logo_url"] { updated.logo_url = try Self.url(logo, at: "logo_url") }
        if let favicon = patch["favicon_url"] { updated.favicon_url = try Self.url(favicon, at: "favicon_url") }
        if let font = patch["font"] {
            if let object = font.objectValue, let url = try Self.url(object["url"] ?? .null, at: "font.url") {
                updated.font = Font(url: url)
            } else {
                updated.font = nil
            }
        }
        return updated
    }

    private static func color(_ value: JSONValue, at property: String) throws(BrandingValidationError) -> String? {
        guard let text = value.stringValue else { return nil }
        guard BrandingValidation.isColor(text) else { throw .color(text, at: property) }
        return text
    }

    private static func url(_ value: JSONValue, at property: String) throws(BrandingValidationError) -> String? {
        guard let text = value.stringValue else { return nil }
        guard BrandingValidation.isURL(text) else { throw .url(text, at: property) }
        return text
    }

    private static func background(_ value: JSONValue) throws(BrandingValidationError) -> PageBackground? {
        if let text = value.stringValue {
            guard BrandingValidation.isColor(text) else { throw .color(text, at: "colors.page_background") }
            return .color(text)
        }
        guard let object = value.objectValue else { return nil }
        let property = "colors.page_background"
        guard object["type"]?.stringValue == "linear-gradient" else {
            throw BrandingValidationError(
                message:
                    "Payload validation error: 'No enum match for: \((object["type"] ?? .null).jsonText())' on property \(property).type (the only gradient is \"linear-gradient\")."
            )
        }
        let start = object["start"]?.stringValue ?? ""
        guard BrandingValidation.isColor(start) else { throw .color(start, at: property + ".start") }
        let end = object["end"]?.stringValue ?? ""
        guard BrandingValidation.isColor(end) else { throw .color(end, at: property + ".end") }
        guard let angle = object["angle_deg"]?.numberValue, angle.rounded() == angle, (-360...360).contains(angle) else {
            throw BrandingValidationError(
                message:
                    "Payload validation error: 'Expected an integer from -360 to 360' on property \(property).angle_deg (the gradient's angle in degrees)."
            )
        }
        return .gradient(Gradient(start: start, end: end, angle_deg: Int(angle)))
    }
}
