// Open MPI defines its predefined handles as macros that expand to the address of a global
// struct; Swift cannot import those ("macro unavailable: structure not supported"). These
// static inline getters are the whole shim: every other symbol is imported from mpi.h as is.
#ifndef SWIFTPOOL_CMPI_SHIM_H
#define SWIFTPOOL_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

#endif
