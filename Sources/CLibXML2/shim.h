// shim.h: the libxml2 headers sedgate uses, plus small inline helpers for what Swift cannot call directly.

// Debian builds libxml2 with ICU; its <unicode/ucnv.h> clashes with Foundation's private copy of ICU when one Swift
// file imports both. sedgate never touches the ICU members of xmlCharEncodingHandler (only pointers to it), so the
// headers are read as if ICU were off.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

/// Frees memory libxml2 allocated (xmlFree is a global variable, which Swift 6 refuses to read).
static inline void sedgate_xml_free(void *pointer) {
    if (pointer != 0) xmlFree(pointer);
}
