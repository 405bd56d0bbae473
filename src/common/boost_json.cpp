// Boost.JSON compiled into the broker (its header-only mode) rather than
// linked from the shared library: the parser and serializer are inlined and
// optimised with the broker's code.
#include <boost/json/src.hpp>
