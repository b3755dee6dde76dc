/* The raw MPI baseline: a ping-pong between rank 0 and rank 1 straight on MPI, no pool.
 *
 *   mpicc -O2 -o raw_pingpong raw_pingpong.c
 *   mpirun -np 2 ./raw_pingpong latency 10000        # 8-byte round trips: median and p99 in us
 *   mpirun -np 2 ./raw_pingpong bandwidth 16         # a 16 MiB array there and back: GB/s
 *
 * Prints `FIGURE <name> <value> <unit>` lines like the Swift benchmark.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const char *mode = argc > 1 ? argv[1] : "latency";
    long amount = argc > 2 ? atol(argv[2]) : 10000;

    if (strcmp(mode, "latency") == 0) {
        long value = 0;
        double *samples = malloc(sizeof(double) * amount);
        for (long i = -1000; i < amount; i++) {
            double start = MPI_Wtime();
            if (rank == 0) {
                MPI_Send(&value, 1, MPI_LONG, 1, 0, MPI_COMM_WORLD);
                MPI_Recv(&value, 1, MPI_LONG, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (rank == 1) {
                MPI_Recv(&value, 1, MPI_LONG, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                value += 1;
                MPI_Send(&value, 1, MPI_LONG, 0, 0, MPI_COMM_WORLD);
            }
            if (i >= 0) samples[i] = (MPI_Wtime() - start) * 1e6;
        }
        if (rank == 0) {
            qsort(samples, amount, sizeof(double), compare);
            printf("FIGURE raw.latency.median %.3f us\n", samples[amount / 2]);
            printf("FIGURE raw.latency.p99 %.3f us\n", samples[(long)(amount * 0.99)]);
        }
        free(samples);
    } else {
        long count = amount * 1024 * 1024 / sizeof(double);
        double *buffer = malloc(count * sizeof(double));
        for (long i = 0; i < count; i++) buffer[i] = (double)i;
        int repeats = amount >= 256 ? 5 : 20;
        double *samples = malloc(sizeof(double) * repeats);
        for (int r = -1; r < repeats; r++) {
            double start = MPI_Wtime();
            if (rank == 0) {
                MPI_Send(buffer, (int)count, MPI_DOUBLE, 1, 0, MPI_COMM_WORLD);
                MPI_Recv(buffer, (int)count, MPI_DOUBLE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (rank == 1) {
                MPI_Recv(buffer, (int)count, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                MPI_Send(buffer, (int)count, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD);
            }
            if (r >= 0) samples[r] = MPI_Wtime() - start;
        }
        if (rank == 0) {
            qsort(samples, repeats, sizeof(double), compare);
            /* Bytes moved in a round trip (there and back) per second. */
            printf("FIGURE raw.bandwidth.%ldMiB %.3f GB/s\n", amount, 2.0 * count * sizeof(double) / samples[repeats / 2] / 1e9);
        }
        free(buffer);
        free(samples);
    }
    MPI_Finalize();
    return 0;
}
