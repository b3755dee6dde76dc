// Open MPI defines its predefined handles as macros that expand to the address of a global
// struct; Swift cannot import those ("macro unavailable: structure not supported"). These
// static inline getters are the whole shim: every other symbol is imported from mpi.h as is.
#ifndef SWIFTPOOL_CMPI_SHIM_H
#define SWIFTPOOL_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm cmpi_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm cmpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cmpi_char(void) { return MPI_CHAR; }
static inline MPI_Datatype cmpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype cmpi_int(void) { return MPI_INT; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Message cmpi_message_null(void) { return MPI_MESSAGE_NULL; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Op cmpi_op_max(void) { return MPI_MAX; }
static inline char **cmpi_argv_null(void) { return MPI_ARGV_NULL; }
static inline int *cmpi_errcodes_ignore(void) { return MPI_ERRCODES_IGNORE; }

#endif
