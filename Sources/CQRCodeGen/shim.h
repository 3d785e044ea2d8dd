// Nayuki's QR Code generator, C version, as Debian packages it (`libqrcodegen-dev`).
#include <qrcodegen/qrcodegen.h>
