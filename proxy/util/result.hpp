// A value or the reason it could not be produced. Parsers of untrusted
// input return this instead of throwing (house style rule 3): a refusal is
// an ordinary outcome, not an exceptional one.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace pullgate {

struct refusal {
    std::string reason;
};

template <class T> class result {
public:
    result(T value) : state_(std::move(value)) {}
    result(refusal r) : state_(std::move(r)) {}

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const std::string& error() const { return std::get<1>(state_).reason; }

private:
    std::variant<T, refusal> state_;
};

inline refusal refuse(std::string reason) {
    return refusal{std::move(reason)};
}

} // namespace pullgate
