/// Auth0's e-mail template names (`/api/v2/email-templates/{templateName}`, Auth0 "Customize
/// Email Templates"). Gatehouse sends four of them and has a built-in default for those.
public enum EmailTemplateName: String, Sendable, CaseIterable, Codable {
    case verifyEmail = "verify_email"
    case verifyEmailByCode = "verify_email_by_code"
    case resetEmail = "reset_email"
    case resetEmailByCode = "reset_email_by_code"
    case welcomeEmail = "welcome_email"
    case blockedAccount = "blocked_account"
    case stolenCredentials = "stolen_credentials"
    case enrollmentEmail = "enrollment_email"
    case mfaOOBCode = "mfa_oob_code"
    case userInvitation = "user_invitation"
    /// Legacy names Auth0 still accepts.
    case changePassword = "change_password"
    case passwordReset = "password_reset"

    public static let allNames = allCases.map(\.rawValue)

    /// The templates this server sends, each with a built-in default (`EmailTemplateDefaults`).
    public static let sent: [EmailTemplateName] = [.verifyEmail, .resetEmail, .welcomeEmail, .blockedAccount]

    /// `event.notification.message_type` of the custom-email-provider trigger (`auth0-actions.md`
    /// §2.9): the template name, with the legacy names mapped to what they mean today.
    public var messageType: String {
        switch self {
        case .changePassword, .passwordReset: "reset_email"
        case .userInvitation: "organization_invitation"
        default: rawValue
        }
    }
}
