// MPI through bun:ffi: just what data-parallel training needs (init, rank and size, a sum
// allreduce of float32 and float64 buffers, abort, finalize). libmpi is found at run time, never
// linked: `$PULLBACK_MPI_LIB`, else the usual sonames (Open MPI's libmpi.so.40, MPICH's
// libmpi.so.12). Without MPI every single-process path stays as it is; this module is only
// loaded when the process runs under mpirun (or --distributed asks for it).
//
// The handles MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE and MPI_SUM are the implementation's, not the
// standard's: Open MPI's are the addresses of global objects (`ompi_mpi_comm_world`, …; its
// MPI_Comm is a pointer), found with dlsym; MPICH's (and its ABI family: Intel MPI, MVAPICH) are
// integer constants from mpi.h (its MPI_Comm is an int).
import { CString, dlopen, FFIType, ptr, type Pointer } from "bun:ffi";

/** MPI is missing or unusable; the message says what to install or set. */
export class MpiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MpiError";
  }
}

/** The environment variables mpirun / mpiexec set in every rank (Open MPI; MPICH's Hydra and PMI launchers). */
export interface LaunchInfo {
  size: number;
  rank: number;
  /** Ranks on this machine (for threads per rank). */
  localSize: number;
}

/** The rank and size mpirun announced in the environment, or undefined outside mpirun. */
export function launchedByMpirun(env: Record<string, string | undefined> = process.env): LaunchInfo | undefined {
  const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  const size = int(env.OMPI_COMM_WORLD_SIZE) ?? int(env.PMI_SIZE) ?? int(env.PMIX_SIZE);
  if (size === undefined) return undefined;
  const rank = int(env.OMPI_COMM_WORLD_RANK) ?? int(env.PMI_RANK) ?? int(env.PMIX_RANK) ?? 0;
  const localSize = int(env.OMPI_COMM_WORLD_LOCAL_SIZE) ?? int(env.MPI_LOCALNRANKS) ?? int(env.PMI_LOCAL_SIZE) ?? size;
  return { size, rank, localSize };
}

export const installHint =
  "install MPI (Debian/Ubuntu: apt-get install -y openmpi-bin libopenmpi-dev; or MPICH: apt-get install -y mpich), " +
  "or set PULLBACK_MPI_LIB to the path of libmpi.so";

/** Sonames tried in order when PULLBACK_MPI_LIB is not set. */
export const mpiSonames = ["libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so"];

const RTLD_NOW = 2,
  RTLD_GLOBAL = 0x100;

const libc = dlopen("libc.so.6", {
  dlopen: { args: [FFIType.cstring, FFIType.i32], returns: FFIType.ptr },
  dlsym: { args: [FFIType.ptr, FFIType.cstring], returns: FFIType.ptr },
  dlerror: { args: [], returns: FFIType.ptr },
});

const cstr = (s: string) => Buffer.from(`${s}\0`);

/** The process-wide MPI world communicator (one per process: MPI is initialized once). */
export interface Mpi {
  readonly rank: number;
  readonly size: number;
  /** Which implementation and library: "Open MPI v4.1.4, libmpi.so.40". */
  readonly implementation: string;
  /** In-place sum over all ranks of `buffer` (every rank gets the sum). */
  allreduceSum(buffer: Float32Array | Float64Array): void;
  /** Waits for every rank. */
  barrier(): void;
  /** Ends the whole job (every rank) with `status`: for an error on one rank that the others cannot see. */
  abort(status: number): never;
  /** Shuts MPI down (the last MPI call of a rank that ends normally). */
  finalize(): void;
}

let world: Mpi | undefined;

/** The MPI world of this process, initializing MPI on the first call. Throws MpiError when libmpi cannot be loaded. */
export function initMpi(env: Record<string, string | undefined> = process.env): Mpi {
  if (world) return world;
  const tried: string[] = [];
  let handle: Pointer | null = null,
    path = "";
  for (const name of env.PULLBACK_MPI_LIB ? [env.PULLBACK_MPI_LIB] : mpiSonames) {
    // RTLD_GLOBAL: Open MPI's plugins (dlopened by libmpi) resolve symbols against it.
    handle = libc.symbols.dlopen(cstr(name), RTLD_NOW | RTLD_GLOBAL) as Pointer | null;
    if (handle) {
      path = name;
      break;
    }
    const err = libc.symbols.dlerror() as Pointer | null;
    tried.push(err ? new CString(err).toString() : name);
  }
  if (!handle) {
    throw new MpiError(`cannot load libmpi (${tried.join("; ")}): ${installHint}`);
  }
  const sym = (name: string) => libc.symbols.dlsym(handle, cstr(name)) as Pointer | null;
  const openmpi = sym("ompi_mpi_comm_world") !== null;
  // Open MPI: handles are pointers; MPICH ABI: 32-bit ints (mpi.h of MPICH 3/4).
  const H = openmpi ? FFIType.ptr : FFIType.i32;
  const handles = openmpi
    ? { comm: sym("ompi_mpi_comm_world")!, float: sym("ompi_mpi_float")!, double: sym("ompi_mpi_double")!, sum: sym("ompi_mpi_op_sum")! }
    : { comm: 0x44000000, float: 0x4c00040a, double: 0x4c00080b, sum: 0x58000003 };
  if (Object.values(handles).some((h) => h === null))
    throw new MpiError(`${path}: Open MPI's predefined handles are missing (a broken installation?): ${installHint}`);
  if (!openmpi && sym("MPI_Init") === null) throw new MpiError(`${path} has no MPI_Init: not an MPI library; ${installHint}`);
  const lib = dlopen(path, {
    MPI_Init: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    MPI_Initialized: { args: [FFIType.ptr], returns: FFIType.i32 },
    MPI_Comm_rank: { args: [H, FFIType.ptr], returns: FFIType.i32 },
    MPI_Comm_size: { args: [H, FFIType.ptr], returns: FFIType.i32 },
    MPI_Allreduce: { args: [FFIType.u64, FFIType.ptr, FFIType.i32, H, H, H], returns: FFIType.i32 },
    MPI_Barrier: { args: [H], returns: FFIType.i32 },
    MPI_Abort: { args: [H, FFIType.i32], returns: FFIType.i32 },
    MPI_Finalize: { args: [], returns: FFIType.i32 },
    MPI_Get_library_version: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  }).symbols;
  const check = (what: string, code: number) => {
    if (code !== 0) throw new MpiError(`${what} failed with MPI error code ${code}`);
  };
  const out = new Int32Array(1);
  lib.MPI_Initialized(out);
  if (!out[0]) check("MPI_Init", lib.MPI_Init(null, null));
  const comm = handles.comm as never;
  check("MPI_Comm_rank", lib.MPI_Comm_rank(comm, out));
  const rank = out[0];
  check("MPI_Comm_size", lib.MPI_Comm_size(comm, out));
  const size = out[0];
  const version = new Uint8Array(8192);
  lib.MPI_Get_library_version(version, out);
  const versionText = new TextDecoder()
    .decode(version.subarray(0, Math.max(0, out[0])))
    .split("\n")[0]
    .split(",")[0]
    .trim();
  // MPI_IN_PLACE: Open MPI's is (void *) 1, MPICH's (void *) -1.
  const inPlace = openmpi ? 1n : 0xffffffffffffffffn;
  let finalized = false;
  world = {
    rank,
    size,
    implementation: `${versionText || (openmpi ? "Open MPI" : "MPICH")}, ${path}`,
    allreduceSum(buffer) {
      if (buffer.length === 0) return;
      if (buffer.length > 0x7fffffff) throw new MpiError(`allreduce: ${buffer.length} elements exceed MPI's int count`);
      const type = (buffer instanceof Float64Array ? handles.double : handles.float) as never;
      check("MPI_Allreduce", lib.MPI_Allreduce(inPlace, ptr(buffer), buffer.length, type, handles.sum as never, comm));
    },
    barrier() {
      check("MPI_Barrier", lib.MPI_Barrier(comm));
    },
    abort(status) {
      lib.MPI_Abort(comm, status);
      process.exit(status);
    },
    finalize() {
      if (finalized) return;
      finalized = true;
      lib.MPI_Finalize();
    },
  };
  return world;
}
