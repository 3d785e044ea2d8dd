/// Every user-visible text of the hosted pages that the catalogue holds. Templates read them as
/// `{{t.<raw value>}}`; Swift code through `PageMessages`. `{0}`, `{1}` are filled in order.
enum PageMessage: String, CaseIterable, Sendable {
    // Every page
    case showPassword = "show_password", show, hide, logo
    // Log in and sign up
    case logIn = "log_in", logInTo = "log_in_to", signUp = "sign_up", createAccount = "create_account"
    case createAccountFor = "create_account_for", usernameOrEmailLabel = "username_or_email_label"
    case emailLabel = "email_label", usernameLabel = "username_label", passwordLabel = "password_label"
    case continueButton = "continue", noAccount = "no_account", haveAccount = "have_account"
    case passwordRulesIntro = "password_rules_intro"
    case enterEmailAndPassword = "enter_email_and_password"
    case wrongCredentials = "wrong_credentials", accountBlocked = "account_blocked"
    case tooManyAttempts = "too_many_attempts", suspiciousIP = "suspicious_ip"
    case accountExists = "account_exists", invalidEmail = "invalid_email", passwordTooLong = "password_too_long"
    case tooManySignups = "too_many_signups", signupUnavailable = "signup_unavailable"
    case sessionExpired = "session_expired", sessionExpiredHelp = "session_expired_help"
    case signupDisabled = "signup_disabled", signupDisabledHelp = "signup_disabled_help"
    case invalidLoginForm = "invalid_login_form", invalidLoginFormHelp = "invalid_login_form_help"
    case invalidSignupForm = "invalid_signup_form", invalidSignupFormHelp = "invalid_signup_form_help"
    // Password rules (Auth0's password-sheriff codes)
    case ruleLengthAtLeast = "rule_lengthAtLeast", ruleContains = "rule_contains", ruleContainsAtLeast = "rule_containsAtLeast"
    case ruleLowerCase = "rule_lowerCase", ruleUpperCase = "rule_upperCase", ruleNumbers = "rule_numbers"
    case ruleSpecialCharacters = "rule_specialCharacters", ruleIdenticalChars = "rule_identicalChars"
    case passwordTooWeak = "password_too_weak", passwordTooCommon = "password_too_common"
    case passwordPersonal = "password_personal", passwordReused = "password_reused", refusalWithRules = "refusal_with_rules"
    // Error page
    case error, errorHeading = "error_heading", errorHelp = "error_help"
    // Password reset and e-mail verification
    case forgotPassword = "forgot_password", resetYourPassword = "reset_your_password"
    case resetRequestIntro = "reset_request_intro", sendTheLink = "send_the_link", backToLogIn = "back_to_log_in"
    case checkYourEmail = "check_your_email", resetLinkSent = "reset_link_sent"
    case changePasswordTitle = "change_password_title", resetFor = "reset_for", resetForAt = "reset_for_at"
    case newPasswordLabel = "new_password_label", confirmPasswordLabel = "confirm_password_label"
    case changePasswordButton = "change_password_button", passwordsDiffer = "passwords_differ"
    case passwordChanged = "password_changed", passwordChangedMessage = "password_changed_message"
    case verifyEmailTitle = "verify_email_title", verifyEmailButton = "verify_email_button"
    case confirmAddress = "confirm_address", confirmAddressFor = "confirm_address_for"
    case emailVerified = "email_verified", emailVerifiedMessage = "email_verified_message"
    // The MFA page
    case verifyIdentity = "verify_identity", verified = "verified", secureAccount = "secure_account"
    case newRecoveryCode = "new_recovery_code", saveRecoveryCode = "save_recovery_code"
    case scanQRCode = "scan_qr_code", qrCodeLabel = "qr_code_label", cannotScan = "cannot_scan"
    case phoneNumberLabel = "phone_number_label", sendCodeBySMS = "send_code_by_sms", willSendCode = "will_send_code"
    case sendTheCode = "send_the_code", sentCode = "sent_code", yourPhone = "your_phone"
    case rememberBrowser = "remember_browser", keepRecoveryCode = "keep_recovery_code", otherWays = "other_ways"
    case enterOTPCode = "enter_otp_code", enterSMSCode = "enter_sms_code", enterRecoveryCode = "enter_recovery_code"
    case useAuthenticatorApp = "use_authenticator_app", useSMS = "use_sms", useYourAuthenticatorApp = "use_your_authenticator_app"
    case getCodeBySMS = "get_code_by_sms", useRecoveryCode = "use_recovery_code"
    case wrongCode = "wrong_code", codeReused = "code_reused", tooManyCodeAttempts = "too_many_code_attempts"
    case tooManyMessages = "too_many_messages", invalidPhoneNumber = "invalid_phone_number"
    // The password reset's MFA step and the ticket pages' errors
    case verifyBeforeReset = "verify_before_reset", enterSMSCodeSendFirst = "enter_sms_code_send_first"
    case sendCodeToMyPhone = "send_code_to_my_phone", resetRefused = "reset_refused"
    case tryAgain = "try_again", resetUnavailable = "reset_unavailable"
    case linkInvalid = "link_invalid", linkInvalidHelp = "link_invalid_help", linkExpired = "link_expired"
    case linkExpiredHelp = "link_expired_help", linkUsed = "link_used", linkUsedHelp = "link_used_help"
    case accountUnchangeable = "account_unchangeable", accountUnchangeableHelp = "account_unchangeable_help"
    // Log out
    case loggedOutHeading = "logged_out_heading", loggedOutMessage = "logged_out_message"
}
