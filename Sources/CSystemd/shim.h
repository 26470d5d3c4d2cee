#ifndef EXPORTSYNC_CSYSTEMD_SHIM_H
#define EXPORTSYNC_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * Small helpers for what Swift cannot express directly: the CMSG_* macros (SCM_RIGHTS file
 * descriptor passing, used by journald's large-entry protocol) and memfd sealing, whose constants
 * glibc only declares under _GNU_SOURCE. Values are the Linux UAPI ones.
 */

#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0x40000000
#endif

#define EXPORTSYNC_MFD_CLOEXEC 0x0001U
#define EXPORTSYNC_MFD_ALLOW_SEALING 0x0002U
#define EXPORTSYNC_F_ADD_SEALS 1033
#define EXPORTSYNC_F_GET_SEALS 1034
#define EXPORTSYNC_F_SEAL_SEAL 0x0001
#define EXPORTSYNC_F_SEAL_SHRINK 0x0002
#define EXPORTSYNC_F_SEAL_GROW 0x0004
#define EXPORTSYNC_F_SEAL_WRITE 0x0008

/// Creates a close-on-exec memfd that allows sealing; returns -1 and sets errno on failure.
static inline int exportsync_memfd_create_sealable(const char *name) {
    return (int)syscall(SYS_memfd_create, name, EXPORTSYNC_MFD_CLOEXEC | EXPORTSYNC_MFD_ALLOW_SEALING);
}

/// Seals a memfd against any further change (what journald requires of a passed memfd).
static inline int exportsync_memfd_seal(int fd) {
    return fcntl(fd, EXPORTSYNC_F_ADD_SEALS,
                 EXPORTSYNC_F_SEAL_SEAL | EXPORTSYNC_F_SEAL_SHRINK | EXPORTSYNC_F_SEAL_GROW | EXPORTSYNC_F_SEAL_WRITE);
}

/// Returns the seals of a memfd, or -1.
static inline int exportsync_memfd_seals(int fd) {
    return fcntl(fd, EXPORTSYNC_F_GET_SEALS);
}

/// Sends one file descriptor with SCM_RIGHTS and an empty payload to `address`.
static inline ssize_t exportsync_send_fd(int socket_fd, const struct sockaddr *address, socklen_t address_length,
                                         int passed_fd, int flags) {
    union {
        struct cmsghdr header;
        char buffer[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr message;
    memset(&message, 0, sizeof(message));
    message.msg_name = (void *)address;
    message.msg_namelen = address_length;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof(control.buffer);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &passed_fd, sizeof(int));
    message.msg_controllen = cmsg->cmsg_len;
    return sendmsg(socket_fd, &message, flags);
}

/// Receives one datagram into `buffer`; stores a passed SCM_RIGHTS descriptor in `*received_fd`
/// (or -1 when none came). Returns the payload length or -1.
static inline ssize_t exportsync_receive_with_fd(int socket_fd, void *buffer, size_t length, int *received_fd) {
    union {
        struct cmsghdr header;
        char buffer[CMSG_SPACE(sizeof(int) * 4)];
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec vector = {.iov_base = buffer, .iov_len = length};
    struct msghdr message;
    memset(&message, 0, sizeof(message));
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof(control.buffer);
    *received_fd = -1;
    ssize_t received = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC);
    if (received < 0) {
        return received;
    }
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message); cmsg != NULL; cmsg = CMSG_NXTHDR(&message, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
            cmsg->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(received_fd, CMSG_DATA(cmsg), sizeof(int));
            break;
        }
    }
    return received;
}

#endif
