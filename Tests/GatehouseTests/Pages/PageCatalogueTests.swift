import Testing

@testable import GatehouseHTTP

@Suite("The hosted pages' message catalogue and language choice")
struct PageCatalogueTests {
    @Test(
        "ui_locales: the first language the pages speak, by its primary subtag; English otherwise",
        arguments: [
            ("fr", "fr"), ("de fr-CA en", "fr"), ("en fr", "en"), ("FR_ca", "fr"), ("ja zh", "en"), ("", "en"),
            ("  fr  ", "fr"),
        ])
    func uiLocales(_ uiLocales: String, _ expected: String) {
        #expect(PageLanguage.preferred(uiLocales: uiLocales).code == expected)
    }

    @Test(
        "Accept-Language: the supported language with the highest q-value, the earlier one on a tie, never one with q=0",
        arguments: [
            ("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("en-US,en;q=0.9,fr;q=0.8", "en"), ("de;q=1, fr;q=0.5, en;q=0.4", "fr"),
            ("fr;q=0, en", "en"), ("*", "en"), ("fr;q=0.5, en;q=0.5", "fr"), ("", "en"), ("garbage;;;q=x", "en"),
        ])
    func acceptLanguage(_ header: String, _ expected: String) {
        #expect(PageLanguage.preferred(acceptLanguage: header).code == expected)
    }

    @Test("every French message keeps the {n} arguments of its English original, so nothing is lost in translation")
    func placeholders() {
        for message in PageMessage.allCases {
            let english = PageMessages(.english)[message]
            let french = PageMessages(.french)[message]
            for index in 0..<3 {
                #expect(english.contains("{\(index)}") == french.contains("{\(index)}"), "\(message): \(french)")
            }
        }
    }

    @Test("the login and sign-up pages' messages all have a French translation")
    func frenchLoginComplete() {
        let loginAndSignup: [PageMessage] = [
            .showPassword, .show, .hide, .logo, .logIn, .logInTo, .signUp, .createAccount, .createAccountFor,
            .usernameOrEmailLabel, .emailLabel, .usernameLabel, .passwordLabel, .continueButton, .noAccount, .haveAccount,
            .passwordRulesIntro, .enterEmailAndPassword, .wrongCredentials, .accountBlocked, .tooManyAttempts, .suspiciousIP,
            .accountExists, .invalidEmail, .passwordTooLong, .tooManySignups, .signupUnavailable, .sessionExpired,
            .sessionExpiredHelp, .error, .errorHeading, .errorHelp,
        ]
        for message in loginAndSignup {
            #expect(PageMessages.french[message] != nil, "\(message) has no French text")
        }
    }
}
