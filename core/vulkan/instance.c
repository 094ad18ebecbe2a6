/* The process-wide VkInstance, shared by every open device and by hv_device_list(), reference
 * counted so the last close tears it down (and the validation layer can report leaks then).
 *
 * HEMOVK_VALIDATE=1 turns on VK_LAYER_KHRONOS_validation and a VK_EXT_debug_utils messenger that
 * counts every warning/error message; tests assert the count is zero. The messenger is also chained
 * into vkCreateInstance so messages from instance creation/destruction are counted too. */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hemovk/log.h"
#include "vulkan/vk_internal.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static VkInstance g_instance;
static VkDebugUtilsMessengerEXT g_messenger;
static unsigned g_refs;
static bool g_validation;
static atomic_uint g_messages;

uint32_t hv_validation_message_count(void) { return atomic_load(&g_messages); }

bool hv_vk_validation_enabled(void) { return g_validation; }

static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                       VkDebugUtilsMessageTypeFlagsEXT types,
                                                       const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                       void *user) {
    (void)user;
    (void)types;
    atomic_fetch_add(&g_messages, 1);
    const char *sev = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error" : "warning";
    hv_log_warn("Vulkan validation %s [%s]: %s", sev, data && data->pMessageIdName ? data->pMessageIdName : "?",
                data && data->pMessage ? data->pMessage : "(no text)");
    return VK_FALSE;
}

static bool env_on(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 && strcasecmp(v, "off") != 0;
}

static bool layer_present(const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0) return false;
    VkLayerProperties *props = calloc(n, sizeof *props);
    if (!props) return false;
    bool found = false;
    if (vkEnumerateInstanceLayerProperties(&n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = strcmp(props[i].layerName, name) == 0;
    free(props);
    return found;
}

static bool instance_extension_present(const char *layer, const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, NULL) != VK_SUCCESS || n == 0) return false;
    VkExtensionProperties *props = calloc(n, sizeof *props);
    if (!props) return false;
    bool found = false;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = strcmp(props[i].extensionName, name) == 0;
    free(props);
    return found;
}

#if defined(__SANITIZE_ADDRESS__)
#define HV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HV_ASAN 1
#endif
#endif

#ifdef HV_ASAN
/* ASan builds only: keep every Vulkan driver and layer the loader opened mapped until the process exits.
 * The loader dlcloses them at vkDestroyInstance, and LeakSanitizer, which reports at exit, then cannot
 * name the library a leaked block came from ("<unknown module>"), so tests/lsan.supp's suppressions of
 * the drivers' own leaks (by library name) stop matching. Seen with Mesa 22.3.6-1+deb12u2's lavapipe:
 * one 128-byte block per process. RTLD_NOLOAD opens nothing new; RTLD_NODELETE pins what is there. */
static int pin_one(struct dl_phdr_info *info, size_t size, void *unused) {
    (void)size, (void)unused;
    const char *slash = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    const char *base = slash ? slash + 1 : info->dlpi_name;
    if (base && (strncmp(base, "libvulkan_", 10) == 0 || strncmp(base, "libVkLayer_", 11) == 0))
        (void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    return 0;
}
static void pin_vulkan_libraries(void) { dl_iterate_phdr(pin_one, NULL); }
#else
static void pin_vulkan_libraries(void) {}
#endif

static hv_status create_instance(void) {
    static const char *layer = "VK_LAYER_KHRONOS_validation";
    bool validate = env_on("HEMOVK_VALIDATE");
    if (validate && !layer_present(layer)) {
        hv_log_error("HEMOVK_VALIDATE=1 asks for %s, but that layer is not installed", layer);
        return hv_error(HV_ERR_UNSUPPORTED,
                        "HEMOVK_VALIDATE=1 asks for the Vulkan validation layer %s, which is not installed "
                        "(Debian: apt-get install vulkan-validationlayers; or set VK_LAYER_PATH); unset "
                        "HEMOVK_VALIDATE to run without validation",
                        layer);
    }
    bool debug_utils = validate && (instance_extension_present(NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) ||
                                    instance_extension_present(layer, VK_EXT_DEBUG_UTILS_EXTENSION_NAME));
    if (validate && !debug_utils)
        return hv_error(HV_ERR_UNSUPPORTED, "HEMOVK_VALIDATE=1 needs %s to count validation messages, and the "
                        "Vulkan loader does not offer it", VK_EXT_DEBUG_UTILS_EXTENSION_NAME);

    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "hemovk",
        .applicationVersion = 1,
        .pEngineName = "hemovk",
        .engineVersion = 1,
        .apiVersion = VK_API_VERSION_1_2,
    };
    VkDebugUtilsMessengerCreateInfoEXT dbg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_debug_message,
    };
    const char *exts[2];
    uint32_t n_ext = 0;
    if (debug_utils) exts[n_ext++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = validate ? &dbg : NULL,
        .pApplicationInfo = &app,
        .enabledLayerCount = validate ? 1 : 0,
        .ppEnabledLayerNames = validate ? &layer : NULL,
        .enabledExtensionCount = n_ext,
        .ppEnabledExtensionNames = n_ext ? exts : NULL,
    };
    VkResult r = vkCreateInstance(&ci, NULL, &g_instance);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        return hv_error(HV_ERR_NOT_FOUND, "no Vulkan driver found (vkCreateInstance: %s); install a Vulkan "
                        "driver (for CPU-only machines: Debian's mesa-vulkan-drivers provides lavapipe)",
                        hv_vk_result_name(r));
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateInstance");
    pin_vulkan_libraries();
    g_validation = validate;
    if (validate) {
        PFN_vkCreateDebugUtilsMessengerEXT create =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(g_instance, "vkCreateDebugUtilsMessengerEXT");
        if (!create || (r = create(g_instance, &dbg, NULL, &g_messenger)) != VK_SUCCESS) {
            vkDestroyInstance(g_instance, NULL);
            g_instance = VK_NULL_HANDLE;
            return hv_error(HV_ERR_VULKAN, "could not create the validation debug messenger (%s)",
                            create ? hv_vk_result_name(r) : "vkCreateDebugUtilsMessengerEXT missing");
        }
        hv_log_debug("Vulkan validation layer enabled");
    }
    return HV_OK;
}

hv_status hv_vk_instance_acquire(VkInstance *out) {
    pthread_mutex_lock(&g_lock);
    hv_status st = HV_OK;
    if (g_refs == 0) st = create_instance();
    if (st == HV_OK) {
        g_refs++;
        *out = g_instance;
    }
    pthread_mutex_unlock(&g_lock);
    return st;
}

void hv_vk_instance_release(void) {
    pthread_mutex_lock(&g_lock);
    if (g_refs > 0 && --g_refs == 0) {
        if (g_messenger) {
            PFN_vkDestroyDebugUtilsMessengerEXT destroy = (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                g_instance, "vkDestroyDebugUtilsMessengerEXT");
            if (destroy) destroy(g_instance, g_messenger, NULL);
            g_messenger = VK_NULL_HANDLE;
        }
        vkDestroyInstance(g_instance, NULL);
        g_instance = VK_NULL_HANDLE;
        g_validation = false;
    }
    pthread_mutex_unlock(&g_lock);
}

const char *hv_vk_result_name(VkResult r) {
    switch (r) {
#define C(x) \
    case x: return #x;
        C(VK_SUCCESS)
        C(VK_NOT_READY)
        C(VK_TIMEOUT)
        C(VK_INCOMPLETE)
        C(VK_ERROR_OUT_OF_HOST_MEMORY)
        C(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        C(VK_ERROR_INITIALIZATION_FAILED)
        C(VK_ERROR_DEVICE_LOST)
        C(VK_ERROR_MEMORY_MAP_FAILED)
        C(VK_ERROR_LAYER_NOT_PRESENT)
        C(VK_ERROR_EXTENSION_NOT_PRESENT)
        C(VK_ERROR_FEATURE_NOT_PRESENT)
        C(VK_ERROR_INCOMPATIBLE_DRIVER)
        C(VK_ERROR_TOO_MANY_OBJECTS)
        C(VK_ERROR_FORMAT_NOT_SUPPORTED)
        C(VK_ERROR_FRAGMENTED_POOL)
        C(VK_ERROR_OUT_OF_POOL_MEMORY)
        C(VK_ERROR_INVALID_SHADER_NV)
        C(VK_ERROR_UNKNOWN)
#undef C
    default: return "VkResult(other)";
    }
}

hv_status hv_vk_fail(VkResult r, const char *what) {
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY)
        return hv_error(HV_ERR_DEVICE_OUT_OF_MEMORY, "%s failed: %s (the GPU ran out of memory; try a smaller "
                        "batch, f16 weights or another device)", what, hv_vk_result_name(r));
    if (r == VK_ERROR_OUT_OF_HOST_MEMORY)
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s failed: %s", what, hv_vk_result_name(r));
    if (r == VK_ERROR_DEVICE_LOST)
        return hv_error(HV_ERR_VULKAN, "%s failed: %s (the GPU driver reset the device: a shader ran too long "
                        "or faulted; results of this run are lost)", what, hv_vk_result_name(r));
    return hv_error(HV_ERR_VULKAN, "%s failed: %s (%d)", what, hv_vk_result_name(r), (int)r);
}
